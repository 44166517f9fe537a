package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The lock-free handoff between streams: idle stream threads park after their short spin (they do not keep a
 * core busy), quick handoffs keep stream order, and a wait on work that already failed still fails the waiter. Speed is measured by RuntimeBenchmarks, not here.
 */
class HostStreamHandoffTest {

    @Test
    void anIdleStreamThreadParksAfterItsSpin() throws InterruptedException {
        try (TandemRuntime rt = HostFixture.open(1)) {
            HostStream s = (HostStream) rt.device(0).createStream("idle");
            DeviceBuffer buffer = rt.device(0).allocate(16, s);
            for (int i = 0; i < 100; i++) {
                s.memset(buffer, 0, 16, (byte) i);
            }
            s.synchronize();
            // The spin lasts HostStream.SPIN_NANOS (20 us); allow a loaded machine far more before calling it a spin.
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (s.threadState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(s.threadState()).isEqualTo(Thread.State.WAITING);
            buffer.close();
        }
    }

    @Test
    void manyQuickHandoffsKeepStreamOrder() {
        try (TandemRuntime rt = HostFixture.open(1)) {
            Stream a = rt.device(0).createStream("a");
            Stream b = rt.device(0).createStream("b");
            Event e = rt.device(0).createEvent();
            AtomicInteger value = new AtomicInteger();
            int[] seen = new int[2000];
            for (int i = 0; i < seen.length; i++) {
                int n = i;
                a.hostCallback(() -> value.set(n + 1));
                a.record(e);
                b.waitEvent(e);
                b.hostCallback(() -> seen[n] = value.get());
            }
            b.synchronize();
            for (int i = 0; i < seen.length; i++) {
                assertThat(seen[i]).as("handoff %d", i).isGreaterThanOrEqualTo(i + 1);
            }
            e.close();
        }
    }

    @Test
    void waitingOnFinishedWorkStillCarriesItsFailure() {
        try (TandemRuntime rt = HostFixture.open(1)) {
            Stream a = rt.device(0).createStream("a");
            Stream b = rt.device(0).createStream("b");
            Event e = rt.device(0).createEvent();
            a.hostCallback(() -> {
                throw new IllegalStateException("boom");
            });
            a.record(e);
            assertThatThrownBy(a::synchronize).isInstanceOf(StreamFailedException.class);
            b.waitEvent(e); // a has finished (failed) already: the failure must still reach b
            assertThatThrownBy(b::synchronize).isInstanceOf(StreamFailedException.class).hasMessageContaining("boom");
            e.close();
        }
    }
}
