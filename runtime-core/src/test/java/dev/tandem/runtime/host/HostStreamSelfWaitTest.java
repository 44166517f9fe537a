package dev.tandem.runtime.host;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A callback that waits for its own stream would deadlock; the host backend fails the stream instead. */
class HostStreamSelfWaitTest {

    @Test
    void synchronizingAStreamFromItsOwnCallbackFailsInsteadOfDeadlocking() {
        try (TandemRuntime rt = HostFixture.open(1)) {
            Stream s = rt.device(0).createStream("self");
            s.hostCallback(s::synchronize);
            assertThatThrownBy(() -> s.synchronize(Duration.ofSeconds(10))).isInstanceOf(StreamFailedException.class)
                    .hasMessageContaining("deadlock");
        }
    }
}
