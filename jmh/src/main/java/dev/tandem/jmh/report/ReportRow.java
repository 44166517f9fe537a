package dev.tandem.jmh.report;

/**
 * One line of the results table: a benchmark's primary score, or a row derived from one of its secondary metrics
 * (an auxiliary counter such as {@code gflop}, shown as {@code GemmBenchmarks.linear:gflop} in GFLOP/s).
 *
 * @param className  the benchmark class's simple name, which groups the chart
 * @param benchmark  {@code Class.method}, or {@code Class.method:metric} for a derived row
 * @param params     the parameters as {@code name=value, ...}; empty when there are none
 * @param unit       a readable unit: {@code GFLOP/s} rather than JMH's {@code ops/s} for a counter
 * @param derived    whether this row comes from a secondary metric
 */
public record ReportRow(String className, String benchmark, String params, double score, double error,
                        String unit, boolean derived) {

    /** Times per operation are better low; throughputs and derived rates are better high. */
    public boolean higherIsBetter() {
        return !unit.endsWith("/op");
    }
}
