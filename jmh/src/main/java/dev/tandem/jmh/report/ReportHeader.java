package dev.tandem.jmh.report;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a reader needs before trusting the numbers: when, on what machine and JDK, and how long JMH measured.
 *
 * @param date        when the results were written, e.g. {@code 2026-11-28 15:40 UTC}
 * @param machine     {@link MachineInfo#describe()}
 * @param jdk         the JDK(s) the benchmarks ran on, from the results themselves
 * @param iterations  the fork / warm-up / measurement settings, one entry per distinct setting
 */
public record ReportHeader(String date, String machine, String jdk, String iterations) {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    public static ReportHeader of(List<BenchmarkResult> results, MachineInfo machine, Instant written) {
        return new ReportHeader(DATE.format(written), machine.describe(),
                distinct(results.stream().map(r -> r.run().jdk()).toList()),
                distinct(results.stream().map(r -> r.run().iterations()).toList()));
    }

    private static String distinct(List<String> values) {
        return values.stream().distinct().collect(Collectors.joining("; "));
    }
}
