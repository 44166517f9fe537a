package dev.tandem.runtime.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Splitting two timings of a kernel into a rate and a fixed time per call. */
class KernelFitTest {

    @Test
    void twoExactTimingsGiveTheirLine() {
        // 1000 bytes in 3000 ns, 9000 bytes in 7000 ns: 2 bytes/ns and 2.5 us per call
        KernelFit fit = KernelFit.through(1000, 3000, 9000, 7000);
        assertThat(fit.rate()).isCloseTo(2, within(1e-12));
        assertThat(fit.fixedMicros()).isCloseTo(2.5, within(1e-12));
    }

    @Test
    void aLargerCallThatIsNotSlowerFallsBackToItsOwnAverageRate() {
        KernelFit fit = KernelFit.through(1000, 3000, 9000, 2000);
        assertThat(fit.rate()).isCloseTo(4.5, within(1e-12));
        assertThat(fit.fixedMicros()).isCloseTo((3000 - 1000 / 4.5) / 1e3, within(1e-12));
    }

    @Test
    void aNegativeFixedTimeBecomesNone() {
        // the line through these points would start below zero: the small call is relatively fast
        KernelFit fit = KernelFit.through(1000, 100, 9000, 7000);
        assertThat(fit.fixedMicros()).isZero();
        assertThat(fit.rate()).isCloseTo(9000.0 / 7000, within(1e-12));
    }
}
