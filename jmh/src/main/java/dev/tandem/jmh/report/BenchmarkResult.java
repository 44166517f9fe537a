package dev.tandem.jmh.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of JMH's JSON results: a benchmark method at one parameter combination.
 *
 * @param benchmark  fully qualified method name, e.g. {@code dev.tandem.jmh.GemmBenchmarks.linear}
 * @param mode       JMH's short mode name ({@code thrpt}, {@code avgt}, {@code sample}, {@code ss})
 * @param params     the {@code @Param} values, in JMH's order (empty when the benchmark has none)
 * @param primary    the benchmark's own score
 * @param secondary  auxiliary counters and profiler metrics by name, in JMH's order
 * @param run        how it was run (JDK, forks, iterations)
 */
public record BenchmarkResult(String benchmark, String mode, Map<String, String> params, Metric primary,
                              Map<String, Metric> secondary, RunSettings run) {

    public BenchmarkResult {
        // Copies that keep JMH's order (Map.copyOf would not).
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        secondary = Collections.unmodifiableMap(new LinkedHashMap<>(secondary));
    }

    /** The class's simple name: {@code GemmBenchmarks} for {@code dev.tandem.jmh.GemmBenchmarks.linear}. */
    public String className() {
        String[] parts = benchmark.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] : benchmark;
    }

    /** Class and method without the package: {@code GemmBenchmarks.linear}. */
    public String shortName() {
        String[] parts = benchmark.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : benchmark;
    }
}
