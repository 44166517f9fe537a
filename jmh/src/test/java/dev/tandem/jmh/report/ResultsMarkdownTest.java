package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResultsMarkdownTest {
    private final List<BenchmarkResult> results = JmhResultsFile.parse(Samples.text(Samples.RESULTS));

    @Test
    void tableHasPrimaryAndDerivedRowsWithReadableUnits() {
        String table = ResultsMarkdown.table(ReportRows.tableRows(results)).render();

        assertThat(table.lines()).containsExactly(
                "| benchmark | params | score | error | unit |",
                "|---|---|---:|---:|---|",
                "| GemmBenchmarks.linear | gemm=512x512x512, threads=1 | 24.44 | \u00b1 3.15 | ops/s |",
                "| GemmBenchmarks.linear:gflop | gemm=512x512x512, threads=1 | 6.560 | \u00b1 0.846 | GFLOP/s |",
                "| GemmBenchmarks.linear:\u00b7gc.alloc.rate | gemm=512x512x512, threads=1 | 0.5120 | \u2013 | MB/sec |",
                "| GemmBenchmarks.linear | gemm=512x512x512, threads=2 | 41.00 | \u2013 | ops/s |",
                "| GemmBenchmarks.linear:gflop | gemm=512x512x512, threads=2 | 11.01 | \u2013 | GFLOP/s |",
                "| CollectiveBenchmarks.allReduce | elements=1048576, ranks=2 | 152.3 | \u00b1 12.5 | ops/s |",
                "| CollectiveBenchmarks.allReduce:megabytes | elements=1048576, ranks=2 | 638.6 | \u00b1 52.4 | MB/s |",
                "| RuntimeBenchmarks.roundTripOneOperation | backend=host | 12.35 | \u00b1 0.99 | us/op |");
    }

    @Test
    void headerStatesDateMachineJdkRunAndTheEmulationCaveat() {
        ReportHeader header = ReportHeader.of(results, Samples.machine(), Instant.parse("2026-11-28T15:40:00Z"));

        String md = ResultsMarkdown.render(header, ReportRows.tableRows(results), "results.svg");

        assertThat(md).contains(
                "- Date: 2026-11-28 15:40 UTC\n",
                "- Machine: Test CPU 9000, 2 cores, 24.0 GiB memory, Linux 6.1 amd64\n",
                "- JDK: 25.0.3 (OpenJDK 64-Bit Server VM 25.0.3+9-LTS)\n",
                "- Run: 1 fork, 1 x 1 s warm-up, 2 x 1 s measurement\n",
                "measure the emulation, not a real interconnect",
                "![JMH results chart](results.svg)");
    }
}
