package dev.tandem.runtime.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The peak of a device's memory is taken in virtual time, whatever order the events arrive in. */
class MemoryTimelineTest {
    @Test
    void aFreeThatResolvesAfterALaterAllocationStillCountsBeforeIt() {
        MemoryTimeline m = new MemoryTimeline();
        m.add(10, 100, 0);
        m.add(20, 100, 0);    // the host issued this allocation at virtual 20...
        m.add(15, -100, 0);   // ...before the engine resolved the free that took effect at 15
        assertThat(m.peak()).isEqualTo(100);
    }

    @Test
    void atEqualTimesTheFreedMemoryServesTheAllocation() {
        MemoryTimeline m = new MemoryTimeline();
        m.add(0, 100, 0);
        m.add(5, 100, 0);
        m.add(5, -100, 0);
        assertThat(m.peak()).isEqualTo(100);
    }

    @Test
    void aResetRestartsThePeakAtTheCurrentUse() {
        MemoryTimeline m = new MemoryTimeline();
        m.add(0, 300, 0);
        m.add(1, -200, 0);
        m.reset();
        assertThat(m.peak()).isEqualTo(100);
        m.add(2, 50, 0);
        assertThat(m.peak()).isEqualTo(150);
    }

    @Test
    void foldingEventsBeforeTheFloorKeepsThePeak() {
        MemoryTimeline m = new MemoryTimeline();
        long t = 0;
        // many alloc/free pairs with one high point early on; the floor keeps up with them
        m.add(t++, 1_000, 0);
        m.add(t++, -1_000, 0);
        for (int i = 0; i < 10_000; i++) {
            m.add(t, 10, t - 1);
            m.add(t + 1, -10, t - 1);
            t += 2;
        }
        assertThat(m.peak()).isEqualTo(1_000);
        m.add(t, 2_000, t);
        assertThat(m.peak()).isEqualTo(2_000);
    }

    /**
     * A step's many buffers freed at one host time (a decode step's KV caches) cannot fold until the floor passes
     * them; they are still counted once each, and adding them sorts the pending events only as often as they
     * double (it used to sort them on every event: minutes for a large decode step's frees).
     */
    @Test
    void manyEventsAtTheFloorAreCountedAndDoNotFoldBeforeIt() {
        MemoryTimeline m = new MemoryTimeline();
        int buffers = 50_000;
        for (int i = 0; i < buffers; i++) {
            m.add(i, 10, 0);
        }
        for (int i = 0; i < buffers; i++) {
            m.add(buffers, -10, buffers);
        }
        assertThat(m.peak()).isEqualTo(10L * buffers);
        m.add(buffers, 30, buffers);
        m.reset();
        assertThat(m.peak()).isEqualTo(30);
    }
}
