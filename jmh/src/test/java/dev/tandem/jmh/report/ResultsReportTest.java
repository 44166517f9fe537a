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
    void layerResultsGetAnOverlapSectionAndSpeedupBars(@TempDir Path dir) throws Exception {
        Path json = Files.writeString(dir.resolve("results.json"), Samples.text(Samples.LAYER_RESULTS));

        ResultsReport.write(json, dir, Samples.machine());

        String md = Files.readString(dir.resolve("results.md"));
        assertThat(md).contains("\n## Overlap\n", "| overlap3 | 1.200x | \u2013 | 1.500x | 40% | 60% | 30% |");
        assertThat(md.indexOf("## Overlap")).isGreaterThan(md.indexOf("![JMH results chart]"));
        String svg = Files.readString(dir.resolve("results.svg"));
        assertThat(SvgBarChartTest.parse(svg).getDocumentElement().getLocalName()).isEqualTo("svg");
        assertThat(svg).contains("LayerBenchmarks.forward \u2014 speed-up over sequential, higher is better",
                "1.250 \u00b1 0.177 x", "LayerBenchmarks \u2014 tokens/s, higher is better");
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
