package dev.tandem.jmh.report;

/**
 * An overlapped schedule measured against the sequential run with the same other parameters.
 *
 * @param benchmark       {@code Class.method}
 * @param params          the parameters other than the schedule, as {@code name=value, ...}
 * @param schedule        the overlapped schedule's name
 * @param speedup         overlapped throughput over sequential throughput
 * @param speedupError    JMH's errors of both throughputs carried into the ratio (first order); NaN when unknown
 * @param computeBusy     C: the sequential run's fraction of wall time spent computing; NaN when not counted
 * @param commBusy        M: the same for communication
 */
public record OverlapRow(String benchmark, String params, String schedule, double speedup, double speedupError,
                         double computeBusy, double commBusy) {

    /**
     * (C + M) / max(C, M): the speed-up if overlap hid all of the shorter of compute and communication under the
     * longer. Only the ratio of C and M matters, so busy fractions do as well as times.
     */
    public double idealSpeedup() {
        double max = Math.max(computeBusy, commBusy);
        return max > 0 ? (computeBusy + commBusy) / max : Double.NaN;
    }

    /** (speed-up - 1) / (ideal - 1); NaN when there was nothing to gain (no communication, or no counters). */
    public double achievedFraction() {
        double ideal = idealSpeedup();
        return ideal > 1 ? (speedup - 1) / (ideal - 1) : Double.NaN;
    }
}
