package dev.tandem.jmh.report;

import java.util.List;
import java.util.Locale;

/** The "Overlap" section of results.md: speed-up of each overlapped schedule against its sequential run. */
public final class OverlapTable {
    private OverlapTable() {
    }

    /** The section (heading, how to read it, table), or the empty string when there is nothing to compare. */
    public static String section(List<OverlapRow> rows) {
        if (rows.isEmpty()) {
            return "";
        }
        return "## Overlap\n\n"
                + "Each overlapped schedule against the `sequential` run with the same other parameters. Speed-up is "
                + "the ratio of throughputs (error carried to first order from JMH's errors). C and M are the "
                + "sequential run's `computeBusy` and `commBusy`: the fraction of wall time the devices (mean over "
                + "ranks) computed and communicated. Ideal is (C+M)/max(C,M), the speed-up if the shorter were hidden "
                + "completely under the longer; \"of ideal gain\" is (speed-up \u2212 1)/(ideal \u2212 1). "
                + ResultsMarkdown.EMULATION_NOTE + "\n\n"
                + table(rows).render();
    }

    public static MarkdownTable table(List<OverlapRow> rows) {
        MarkdownTable table = new MarkdownTable(
                List.of("benchmark", "params", "schedule", "speed-up", "error", "ideal", "of ideal gain", "C", "M"),
                false, false, false, true, true, true, true, true, true);
        for (OverlapRow r : rows) {
            String error = Double.isFinite(r.speedupError()) ? "\u00b1 " + ScoreFormat.error(r.speedupError(), r.speedup())
                    : ScoreFormat.error(r.speedupError(), r.speedup());
            table.row(List.of(r.benchmark(), r.params(), r.schedule(), ScoreFormat.score(r.speedup()) + "x", error,
                    Double.isFinite(r.idealSpeedup()) ? ScoreFormat.score(r.idealSpeedup()) + "x" : "\u2013",
                    percent(r.achievedFraction()), percent(r.computeBusy()), percent(r.commBusy())));
        }
        return table;
    }

    private static String percent(double fraction) {
        return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.0f%%", 100 * fraction) : "\u2013";
    }
}
