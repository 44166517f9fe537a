package dev.tandem.runtime.sim;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Wake-ups are drawn around their mean, reproducibly, a sequence per simulated thread. */
class WakeUpsTest {

    @Test
    void drawsAverageTheMeanAndVaryAsAnExponentialDoes() {
        WakeUps wakes = WakeUps.ofHost(0);
        long[] draws = new long[20_000];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = wakes.nanos(2000);
        }
        double mean = Arrays.stream(draws).average().orElseThrow();
        assertThat(mean).isCloseTo(2_000_000, org.assertj.core.data.Percentage.withPercentage(3));
        assertThat(Arrays.stream(draws).min().orElseThrow()).isNotNegative();
        // an exponential's median is ln 2 of its mean: skewed, so that ranks reach collectives at different times
        long[] sorted = draws.clone();
        Arrays.sort(sorted);
        assertThat((double) sorted[draws.length / 2]).isCloseTo(Math.log(2) * 2_000_000,
                org.assertj.core.data.Percentage.withPercentage(5));
    }

    @Test
    void aMeanOfZeroDrawsNothingAndSequencesRepeat() {
        WakeUps host = WakeUps.ofHost(3);
        assertThat(host.nanos(0)).isZero();
        assertThat(WakeUps.ofHost(3).nanos(100)).isEqualTo(host.nanos(100));   // the zero mean drew nothing
        assertThat(WakeUps.ofStream(1, "comm").nanos(100)).isEqualTo(WakeUps.ofStream(1, "comm").nanos(100));
        assertThat(WakeUps.ofStream(1, "comm").nanos(100)).isNotEqualTo(WakeUps.ofStream(2, "comm").nanos(100));
    }
}
