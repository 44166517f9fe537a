package dev.tandem.jmh.report;

import java.util.List;

/** The markdown report: a header saying how the numbers were taken, then one table row per score. */
public final class ResultsMarkdown {
    static final String EMULATION_NOTE = "Collective and layer numbers that use the emulated link (`LinkEmulation`) measure "
            + "the emulation, not a real interconnect.";

    private ResultsMarkdown() {
    }

    /**
     * The document; {@code chartFile} (a sibling file name, or null for none) is embedded under the table, and an
     * "Overlap" section follows when there are overlapped schedules to compare.
     */
    public static String render(ReportHeader header, List<ReportRow> rows, List<OverlapRow> overlap, String chartFile) {
        StringBuilder md = new StringBuilder();
        md.append("# Tandem JMH results\n\n");
        md.append("- Date: ").append(header.date()).append('\n');
        md.append("- Machine: ").append(header.machine()).append('\n');
        md.append("- JDK: ").append(header.jdk()).append('\n');
        md.append("- Run: ").append(header.iterations()).append('\n');
        md.append('\n');
        md.append("Derived rows (`Class.method:counter`) are JMH auxiliary counters per second: `gflop` in GFLOP/s, "
                + "`gigabytes` in GB/s, `megabytes` in MB/s, `tokens` in tokens/s, `computeBusy` and `commBusy` in busy "
                + "seconds per second (the fraction of wall time). Error is JMH's 99.9% confidence half-width "
                + "(\u2013 where there were too few iterations for one). ").append(EMULATION_NOTE).append("\n\n");
        md.append(table(rows).render());
        if (chartFile != null) {
            md.append("\n![JMH results chart](").append(chartFile).append(")\n");
        }
        String section = OverlapTable.section(overlap);
        if (!section.isEmpty()) {
            md.append('\n').append(section);
        }
        return md.toString();
    }

    public static MarkdownTable table(List<ReportRow> rows) {
        MarkdownTable table = new MarkdownTable(List.of("benchmark", "params", "score", "error", "unit"),
                false, false, true, true, false);
        for (ReportRow row : rows) {
            String error = Double.isFinite(row.error()) ? "\u00b1 " + ScoreFormat.error(row.error(), row.score())
                    : ScoreFormat.error(row.error(), row.score());
            table.row(List.of(row.benchmark(), row.params(), ScoreFormat.score(row.score()), error, row.unit()));
        }
        return table;
    }
}
