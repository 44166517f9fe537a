package dev.tandem.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns JMH results into report rows. Tandem's benchmarks count work in {@code @AuxCounters} of type OPERATIONS
 * named after a unit ({@code gflop}, {@code gigabytes}, {@code megabytes}); in throughput mode JMH reports those
 * per second but labels them {@code ops/s}, so the derived rows here get a unit that says what was counted.
 */
public final class ReportRows {
    /** Counter name to the unit it counts; other counters keep their own name, e.g. {@code requests/s}. */
    private static final Map<String, String> COUNTER_UNITS = Map.of(
            "gflop", "GFLOP",
            "gigabytes", "GB",
            "megabytes", "MB");

    private ReportRows() {
    }

    /** Every row of the table: each result's primary score followed by its secondary metrics, in JMH's order. */
    public static List<ReportRow> tableRows(List<BenchmarkResult> results) {
        List<ReportRow> rows = new ArrayList<>();
        for (BenchmarkResult result : results) {
            rows.add(primaryRow(result));
            result.secondary().forEach((name, metric) -> rows.add(derivedRow(result, name, metric)));
        }
        return rows;
    }

    /**
     * One row per result for the chart: the first derived rate when the benchmark counts work (GFLOP/s says more
     * than invocations per second), otherwise the primary score.
     */
    public static List<ReportRow> chartRows(List<BenchmarkResult> results) {
        List<ReportRow> rows = new ArrayList<>();
        for (BenchmarkResult result : results) {
            ReportRow chosen = primaryRow(result);
            for (var metric : result.secondary().entrySet()) {
                if (isRate(metric.getValue())) {
                    chosen = derivedRow(result, metric.getKey(), metric.getValue());
                    break;
                }
            }
            rows.add(chosen);
        }
        return rows;
    }

    /** {@code gemm=512x512x512, threads=1}. */
    public static String params(Map<String, String> params) {
        return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    private static ReportRow primaryRow(BenchmarkResult result) {
        Metric m = result.primary();
        return new ReportRow(result.className(), result.shortName(), params(result.params()),
                m.score(), m.error(), m.unit(), false);
    }

    private static ReportRow derivedRow(BenchmarkResult result, String name, Metric m) {
        String unit = isRate(m) ? COUNTER_UNITS.getOrDefault(name, name) + m.unit().substring("ops".length()) : m.unit();
        return new ReportRow(result.className(), result.shortName() + ":" + name, params(result.params()),
                m.score(), m.error(), unit, true);
    }

    /** An OPERATIONS counter in throughput mode: JMH labels it {@code ops/<time unit>}. */
    private static boolean isRate(Metric m) {
        return m.unit().startsWith("ops/");
    }
}
