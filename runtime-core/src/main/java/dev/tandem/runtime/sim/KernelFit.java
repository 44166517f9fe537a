package dev.tandem.runtime.sim;

/**
 * A kernel's measured cost split in two: a rate (GB/s for an element-wise kernel, an efficiency for attention) and a
 * fixed time per call.
 *
 * @param rate        bytes per nanosecond, or a fraction of the GEMM rate
 * @param fixedMicros time per call beyond what the rate charges, microseconds
 */
record KernelFit(double rate, double fixedMicros) {
    /**
     * The line {@code time = fixed + work / rate} through two measurements of {@code work} units in {@code nanos}
     * each. Where noise makes the line meaningless (the larger call not slower, or a negative fixed time), the rate
     * is the larger call's average and the fixed time what the smaller call takes beyond it, never below 0.
     */
    static KernelFit through(double work1, double nanos1, double work2, double nanos2) {
        double rate = (work2 - work1) / (nanos2 - nanos1);
        if (!(nanos2 > nanos1) || !(rate > 0) || Double.isInfinite(rate)) {
            rate = work2 / nanos2;
        }
        double fixed = nanos1 - work1 / rate;
        if (fixed < 0) {
            rate = work2 / nanos2;
            fixed = Math.max(0, nanos1 - work1 / rate);
        }
        return new KernelFit(rate, fixed / 1e3);
    }
}
