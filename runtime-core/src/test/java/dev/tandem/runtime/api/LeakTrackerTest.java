package dev.tandem.runtime.api;

import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LeakTrackerTest {

    @Test
    void reportsHandlesNeverClosedAndWhereTheyWereCreated() {
        LeakTracker tracker = LeakTracker.global();
        tracker.enable();
        tracker.reset();
        TandemRuntime rt = TandemRuntime.open("host");
        var s = rt.device(0).createStream("forgotten");
        var buffer = rt.device(0).allocate(64, s);
        assertThat(tracker.report()).contains("stream 'forgotten'").contains("64-byte buffer")
                .contains("LeakTrackerTest");
        buffer.close();
        assertThat(tracker.report()).doesNotContain("64-byte buffer");
        rt.close();
        assertThat(tracker.report()).isEmpty();
    }
}
