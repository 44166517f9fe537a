package dev.tandem.jmh.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders JMH's JSON results ({@code -rf json}) as {@code results.md} (header and table) and {@code results.svg}
 * (bar chart) in an output directory. Run by {@code jmh/run-benchmarks.sh}; usable on its own:
 * {@code java -cp jmh/target/benchmarks.jar dev.tandem.jmh.report.ResultsReport results.json [output-dir]}.
 */
public final class ResultsReport {
    public static final String MARKDOWN_FILE = "results.md";
    public static final String SVG_FILE = "results.svg";

    private ResultsReport() {
    }

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2 || args[0].startsWith("-")) {
            System.err.println("usage: ResultsReport <results.json> [<output-dir>]   (output-dir defaults to the file's directory)");
            System.exit(2);
        }
        Path json = Path.of(args[0]).toAbsolutePath();
        Path outDir = args.length == 2 ? Path.of(args[1]) : json.getParent();
        try {
            List<Path> written = write(json, outDir, MachineInfo.detect());
            written.forEach(p -> System.out.println("wrote " + p));
        } catch (ReportException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Writes both files and returns their paths; the date shown is the results file's modification time. */
    public static List<Path> write(Path json, Path outDir, MachineInfo machine) {
        List<BenchmarkResult> results = JmhResultsFile.read(json);
        ReportHeader header = ReportHeader.of(results, machine, modified(json));
        Path markdown = outDir.resolve(MARKDOWN_FILE);
        Path svg = outDir.resolve(SVG_FILE);
        try {
            Files.createDirectories(outDir);
            Files.writeString(markdown, ResultsMarkdown.render(header, ReportRows.tableRows(results), SVG_FILE),
                    StandardCharsets.UTF_8);
            Files.writeString(svg, chart(header, results), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ReportException("cannot write the report to " + outDir + ": " + e.getMessage(), e);
        }
        return List.of(markdown, svg);
    }

    /** One bar per benchmark and parameter combination, grouped by class and unit (each group has its own scale). */
    static String chart(ReportHeader header, List<BenchmarkResult> results) {
        List<ChartBar> bars = new ArrayList<>();
        for (ReportRow row : ReportRows.chartRows(results)) {
            String method = row.benchmark().substring(row.className().length() + 1);
            String label = row.params().isEmpty() ? method : method + " (" + row.params() + ")";
            String group = row.className() + " \u2014 " + row.unit() + ", " + (row.higherIsBetter() ? "higher" : "lower")
                    + " is better";
            bars.add(new ChartBar(group, label, row.score(), row.error(), row.unit(),
                    row.benchmark() + (row.params().isEmpty() ? "" : " [" + row.params() + "]")));
        }
        List<String> subtitle = List.of(
                header.date() + " \u00b7 " + header.machine(),
                "JDK " + header.jdk() + " \u00b7 " + header.iterations(),
                ResultsMarkdown.EMULATION_NOTE.replace("`", ""));
        return SvgBarChart.render("Tandem JMH results", subtitle, bars);
    }

    private static Instant modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            return Instant.now();
        }
    }
}
