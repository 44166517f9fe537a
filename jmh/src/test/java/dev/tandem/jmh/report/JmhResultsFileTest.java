package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class JmhResultsFileTest {

    @Test
    void readsEveryResultWithParamsPrimaryAndSecondaryMetrics() {
        List<BenchmarkResult> results = JmhResultsFile.parse(Samples.text(Samples.RESULTS));

        assertThat(results).extracting(BenchmarkResult::shortName).containsExactly(
                "GemmBenchmarks.linear", "GemmBenchmarks.linear", "CollectiveBenchmarks.allReduce",
                "RuntimeBenchmarks.roundTripOneOperation");
        BenchmarkResult gemm = results.get(0);
        assertThat(gemm.className()).isEqualTo("GemmBenchmarks");
        assertThat(gemm.mode()).isEqualTo("thrpt");
        assertThat(gemm.params()).containsExactly(
                entry("gemm", "512x512x512"),
                entry("threads", "1"));
        assertThat(gemm.primary()).isEqualTo(new Metric(24.43718830051227, 3.1520947702034, "ops/s"));
        assertThat(gemm.secondary().keySet()).containsExactly("gflop", "\u00b7gc.alloc.rate");
        assertThat(gemm.secondary().get("\u00b7gc.alloc.rate").error()).isNaN();
        assertThat(gemm.run().jdk()).isEqualTo("25.0.3 (OpenJDK 64-Bit Server VM 25.0.3+9-LTS)");
        assertThat(gemm.run().iterations()).isEqualTo("1 fork, 1 x 1 s warm-up, 2 x 1 s measurement");
        assertThat(results.get(3).secondary()).isEmpty();
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.json");

        assertThatThrownBy(() -> JmhResultsFile.read(missing))
                .isInstanceOf(ReportException.class)
                .hasMessage("JMH results file not found: " + missing);
    }

    @Test
    void malformedFileNamesFileLineAndColumn(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("results.json"), "[\n  {\"benchmark\": \"x\",}\n]");

        assertThatThrownBy(() -> JmhResultsFile.read(file))
                .isInstanceOf(ReportException.class)
                .hasMessageStartingWith(file + ": malformed JSON at line 2, column 21 (offset 22): expected a string key");
    }

    @Test
    void wrongShapeSaysWhichResultAndWhatIsMissing() {
        assertThatThrownBy(() -> JmhResultsFile.parse("{}"))
                .hasMessage("expected a JSON array of JMH results at the top level");
        assertThatThrownBy(() -> JmhResultsFile.parse("[]"))
                .hasMessageContaining("no benchmark results");
        assertThatThrownBy(() -> JmhResultsFile.parse("[{\"benchmark\": \"a.B.c\", \"mode\": \"avgt\"}]"))
                .hasMessage("result 1 (a.B.c): missing 'primaryMetric'");
        assertThatThrownBy(() -> JmhResultsFile.parse(
                "[{\"benchmark\": \"a.B.c\", \"mode\": \"avgt\", \"primaryMetric\": {\"score\": \"fast\", \"scoreError\": 1, \"scoreUnit\": \"us/op\"}}]"))
                .hasMessage("result 1 (a.B.c): primaryMetric: expected a number but found fast");
    }
}
