package dev.tandem.runtime.sim;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The host profile's "all ranks busy at once" figures need the ranks' work to really run at once: through the common
 * fork-join pool (one worker on a 2-core machine) each rank's task waited for the previous one, and every rate
 * measured with two ranks came out halved.
 */
class RankThreadsTest {
    @Test
    void everyRankRunsAtTheSameTime() {
        // each task waits at a barrier only all of them together can pass: run one after another, they would time out
        CyclicBarrier all = new CyclicBarrier(4);
        RankThreads.together(4, "test-rank", r -> {
            try {
                all.await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("rank " + r + " ran alone", e);
            }
        });
        assertThat(all.isBroken()).isFalse();
    }

    @Test
    void aFailingRankFailsTheMeasurementWithItsCause() {
        assertThatThrownBy(() -> RankThreads.together(2, "test-rank", r -> {
            if (r == 1) {
                throw new IllegalArgumentException("rank 1 failed");
            }
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("rank 1 failed");
    }
}
