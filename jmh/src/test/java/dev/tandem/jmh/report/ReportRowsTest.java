package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class ReportRowsTest {
    private final List<BenchmarkResult> results = JmhResultsFile.parse(Samples.text(Samples.RESULTS));

    @Test
    void chartTakesTheCountedRateWhereThereIsOneAndThePrimaryScoreOtherwise() {
        List<ReportRow> rows = ReportRows.chartRows(results);

        assertThat(rows).extracting(ReportRow::benchmark, ReportRow::unit).containsExactly(
                tuple("GemmBenchmarks.linear:gflop", "GFLOP/s"),
                tuple("GemmBenchmarks.linear:gflop", "GFLOP/s"),
                tuple("CollectiveBenchmarks.allReduce:megabytes", "MB/s"),
                tuple("RuntimeBenchmarks.roundTripOneOperation", "us/op"));
        assertThat(rows).extracting(ReportRow::higherIsBetter).containsExactly(true, true, true, false);
    }

    @Test
    void anUnknownCounterIsNamedInItsUnit() {
        BenchmarkResult result = new BenchmarkResult("x.Bench.run", "thrpt", Map.of(),
                new Metric(1, Double.NaN, "ops/ms"), Map.of("requests", new Metric(5, Double.NaN, "ops/ms")),
                new RunSettings("25", "vm", "25", 1, 1, "1 s", 1, "1 s"));

        assertThat(ReportRows.tableRows(List.of(result)).get(1).unit()).isEqualTo("requests/ms");
    }
}
