package dev.tandem.jmh.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A horizontal bar chart as a standalone SVG document: bars grouped under headings, each group on its own scale
 * (the groups' units differ), a value label with unit after every bar, and an error whisker where there is one.
 * Text widths are estimated from character counts, since there is no font metrics without a renderer.
 */
public final class SvgBarChart {
    private static final String FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";
    private static final double CHAR_WIDTH = 7.0;   // average advance at 12 px, slightly generous
    private static final int MARGIN = 20;
    private static final int BAR_AREA = 440;
    private static final int BAR_HEIGHT = 18;
    private static final int ROW_HEIGHT = 24;
    private static final int GROUP_HEADING = 28;
    private static final int GROUP_GAP = 14;
    private static final String[] PALETTE = {
        "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f", "#edc948"};

    private SvgBarChart() {
    }

    public static String render(String title, List<String> subtitle, List<ChartBar> bars) {
        Map<String, List<ChartBar>> groups = new LinkedHashMap<>();
        for (ChartBar bar : bars) {
            groups.computeIfAbsent(bar.group(), g -> new ArrayList<>()).add(bar);
        }
        int labelWidth = (int) Math.ceil(bars.stream().mapToInt(b -> b.label().length()).max().orElse(10) * CHAR_WIDTH);
        int valueWidth = (int) Math.ceil(bars.stream().mapToInt(b -> valueText(b).length()).max().orElse(10) * CHAR_WIDTH);
        int barX = MARGIN + labelWidth + 10;
        int headerLines = subtitle.size();
        int subtitleWidth = (int) Math.ceil(subtitle.stream().mapToInt(String::length).max().orElse(0) * CHAR_WIDTH);
        int width = Math.max(barX + BAR_AREA + 12 + valueWidth, MARGIN + subtitleWidth) + MARGIN;
        int height = 40 + headerLines * 16 + 10
                + groups.values().stream().mapToInt(g -> GROUP_HEADING + g.size() * ROW_HEIGHT + GROUP_GAP).sum() + MARGIN;

        StringBuilder svg = new StringBuilder();
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"%s\" font-size=\"12\">%n", width, height, width, height, FONT));
        svg.append("<title>").append(escape(title)).append("</title>\n");
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", width, height));
        svg.append(text(MARGIN, 30, "font-size=\"18\" font-weight=\"bold\"", title));
        int y = 40;
        for (String line : subtitle) {
            y += 16;
            svg.append(text(MARGIN, y, "fill=\"#555555\"", line));
        }
        y += 10;

        int groupIndex = 0;
        for (var group : groups.entrySet()) {
            String color = PALETTE[groupIndex++ % PALETTE.length];
            y += GROUP_HEADING;
            svg.append(text(MARGIN, y - 8, "font-size=\"14\" font-weight=\"bold\"", group.getKey()));
            double max = group.getValue().stream().mapToDouble(SvgBarChart::extent).max().orElse(0);
            double scale = max > 0 ? BAR_AREA / max : 0;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999999\"/>%n",
                    barX, y, barX, y + group.getValue().size() * ROW_HEIGHT));
            for (ChartBar bar : group.getValue()) {
                appendBar(svg, bar, barX, y, scale, color);
                y += ROW_HEIGHT;
            }
            y += GROUP_GAP;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void appendBar(StringBuilder svg, ChartBar bar, int barX, int rowTop, double scale, String color) {
        int top = rowTop + (ROW_HEIGHT - BAR_HEIGHT) / 2;
        int baseline = rowTop + ROW_HEIGHT / 2 + 4;
        double length = positive(bar.value()) * scale;
        svg.append("<g>\n<title>").append(escape(bar.tooltip())).append("</title>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                barX - 10, baseline, escape(bar.label())));
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
                barX, top, length, BAR_HEIGHT, color));
        double end = barX + length;
        if (Double.isFinite(bar.error()) && bar.error() > 0 && length > 0) {
            double low = barX + Math.max(0, bar.value() - bar.error()) * scale;
            double high = barX + (bar.value() + bar.error()) * scale;
            int mid = rowTop + ROW_HEIGHT / 2;
            svg.append(String.format(Locale.ROOT,
                    "<path d=\"M%.1f %d H%.1f M%.1f %d V%d M%.1f %d V%d\" stroke=\"#333333\" fill=\"none\"/>%n",
                    low, mid, high, low, mid - 4, mid + 4, high, mid - 4, mid + 4));
            end = Math.max(end, high);
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>%n</g>%n",
                end + 6, baseline, escape(valueText(bar))));
    }

    /** E.g. {@code 6.425 ± 0.215 GFLOP/s}. */
    static String valueText(ChartBar bar) {
        String error = Double.isFinite(bar.error()) ? " \u00b1 " + ScoreFormat.error(bar.error(), bar.value()) : "";
        return ScoreFormat.score(bar.value()) + error + " " + bar.unit();
    }

    /** How far right a bar reaches, whisker included; NaN and negative values draw nothing. */
    private static double extent(ChartBar bar) {
        double error = Double.isFinite(bar.error()) ? bar.error() : 0;
        return positive(bar.value()) > 0 ? bar.value() + error : 0;
    }

    private static double positive(double value) {
        return Double.isFinite(value) && value > 0 ? value : 0;
    }

    private static String text(int x, int y, String attributes, String content) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" %s>%s</text>%n", x, y, attributes, escape(content));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
