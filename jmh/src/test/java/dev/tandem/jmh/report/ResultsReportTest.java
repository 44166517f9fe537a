package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResultsReportTest {

    @Test
    void writesMarkdownAndSvgIntoTheOutputDirectory(@TempDir Path dir) throws Exception {
        Path json = Files.writeString(dir.resolve("results.json"), Samples.text(Samples.RESULTS));
        Path out = dir.resolve("report");

        List<Path> written = ResultsReport.write(json, out, Samples.machine());

        assertThat(written).containsExactly(out.resolve("results.md"), out.resolve("results.svg"));
        assertThat(Files.readString(out.resolve("results.md")))
                .startsWith("# Tandem JMH results\n")
                .contains("| GemmBenchmarks.linear:gflop | gemm=512x512x512, threads=1 | 6.560 | \u00b1 0.846 | GFLOP/s |");
        assertThat(SvgBarChartTest.parse(Files.readString(out.resolve("results.svg"))).getDocumentElement().getLocalName())
                .isEqualTo("svg");
    }

    @Test
    void badInputWritesNothing(@TempDir Path dir) throws IOException {
        Path json = Files.writeString(dir.resolve("results.json"), "[{\"benchmark\": ");

        assertThatThrownBy(() -> ResultsReport.write(json, dir, Samples.machine()))
                .isInstanceOf(ReportException.class)
                .hasMessageContaining("malformed JSON at line 1, column 16");
        assertThat(dir.resolve("results.md")).doesNotExist();
        assertThat(dir.resolve("results.svg")).doesNotExist();
    }
}
