package dev.tandem.jmh.report;

import java.util.ArrayList;
import java.util.List;

/** A GitHub-flavoured markdown table: a header, rows of cells, and which columns are right-aligned (numbers). */
public final class MarkdownTable {
    private final List<String> header;
    private final boolean[] rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    public MarkdownTable(List<String> header, boolean... rightAligned) {
        if (rightAligned.length != 0 && rightAligned.length != header.size()) {
            throw new IllegalArgumentException("alignment for " + rightAligned.length + " of " + header.size() + " columns");
        }
        this.header = List.copyOf(header);
        this.rightAligned = rightAligned.length == 0 ? new boolean[header.size()] : rightAligned.clone();
    }

    public MarkdownTable row(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException("row has " + cells.size() + " cells, the table " + header.size() + " columns");
        }
        rows.add(List.copyOf(cells));
        return this;
    }

    /** The table as lines ending in a newline; cells are escaped so a '|' in a parameter cannot split a column. */
    public String render() {
        StringBuilder out = new StringBuilder();
        line(out, header);
        List<String> rule = new ArrayList<>();
        for (boolean right : rightAligned) {
            rule.add(right ? "---:" : "---");
        }
        out.append('|').append(String.join("|", rule)).append("|\n");
        rows.forEach(r -> line(out, r));
        return out.toString();
    }

    private static void line(StringBuilder out, List<String> cells) {
        out.append('|');
        for (String cell : cells) {
            out.append(' ').append(escape(cell)).append(" |");
        }
        out.append('\n');
    }

    private static String escape(String cell) {
        return cell.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ");
    }
}
