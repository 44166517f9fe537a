package dev.tandem.runtime.trace;

import dev.tandem.runtime.StreamRole;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders spans as an SVG timeline a person can open in a browser: one lane per (device, stream), compute in
 * blues and communication in oranges, one shade per micro-batch (read from a {@code mbN} tag), waits as thin
 * grey bars, and the stage name (last part of the tag) written on spans wide enough to hold it.
 */
public final class TimelineSvg {
    private static final Pattern MICRO_BATCH = Pattern.compile("mb(\\d+)");
    private static final String[] COMPUTE_SHADES = {"#2f6fb3", "#7fb2e5", "#1b4d80", "#a9cdf0"};
    private static final String[] COMM_SHADES = {"#d9731a", "#f5b169", "#9c4f0c", "#f8cf9f"};
    private static final int LANE_HEIGHT = 28;
    private static final int LABEL_WIDTH = 190;
    private static final int TOP = 48;

    private TimelineSvg() {
    }

    /**
     * Renders spans as an SVG timeline (see {@link #render(List, String, int)}) and writes it to a file.
     *
     * @param spans the spans to draw
     * @param file the file to write, replaced if it exists; missing parent directories are created
     * @param title the heading drawn above the lanes
     * @param width the image width in pixels
     * @throws IOException if the file cannot be written
     */
    public static void write(List<TraceSpan> spans, Path file, String title, int width) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, render(spans, title, width), StandardCharsets.UTF_8);
    }

    /**
     * Renders spans as an SVG timeline with one lane per device and stream.
     *
     * @param spans the spans to draw
     * @param title the heading drawn above the lanes
     * @param width the image width in pixels
     * @return the SVG document
     */
    public static String render(List<TraceSpan> spans, String title, int width) {
        Map<String, Integer> lanes = new LinkedHashMap<>();
        spans.stream()
                .sorted(Comparator.comparingInt(TraceSpan::device).thenComparing(s -> s.role().ordinal())
                        .thenComparing(TraceSpan::stream))
                .forEach(s -> lanes.computeIfAbsent(laneKey(s), k -> lanes.size()));
        long origin = spans.stream().mapToLong(TraceSpan::startNanos).min().orElse(0);
        long end = spans.stream().mapToLong(TraceSpan::endNanos).max().orElse(1);
        double span = Math.max(1, end - origin);
        int plot = width - LABEL_WIDTH - 20;
        int height = TOP + lanes.size() * LANE_HEIGHT + 60;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n", width, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                xml(title)));
        // time axis
        double totalMs = span / 1e6;
        double step = niceStep(totalMs / 8);
        int axisY = TOP + lanes.size() * LANE_HEIGHT + 6;
        for (double t = 0; t <= totalMs + 1e-9; t += step) {
            double x = LABEL_WIDTH + t / totalMs * plot;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    x, TOP - 4, x, axisY));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s ms</text>%n",
                    x, axisY + 14, trim(t)));
        }
        for (var lane : lanes.entrySet()) {
            int y = TOP + lane.getValue() * LANE_HEIGHT;
            if (lane.getValue() % 2 == 1) {
                svg.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f6f6f6\"/>%n",
                        y - 2, width, LANE_HEIGHT));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\">%s</text>%n", y + 15, xml(lane.getKey())));
        }
        for (TraceSpan s : spans) {
            int y = TOP + lanes.get(laneKey(s)) * LANE_HEIGHT;
            double x = LABEL_WIDTH + (s.startNanos() - origin) / span * plot;
            double w = Math.max(0.5, s.durationNanos() / span * plot);
            if (s.isWait()) {
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"4\" fill=\"#bbb\">"
                        + "<title>%s</title></rect>%n", x, y + 9, w, xml(tooltip(s))));
                continue;
            }
            String fill = color(s);
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
                    + "stroke=\"white\" stroke-width=\"0.5\"><title>%s</title></rect>%n", x, y, w, LANE_HEIGHT - 6, fill,
                    xml(tooltip(s))));
            String label = label(s);
            if (w > label.length() * 6.2 + 4) {
                svg.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%d\" fill=\"white\" font-size=\"10\">%s</text>%n",
                        x + 2, y + 14, xml(label)));
            }
        }
        int legendY = height - 18;
        String[][] legend = {{COMPUTE_SHADES[0], "compute mb0"}, {COMPUTE_SHADES[1], "compute mb1"},
                {COMM_SHADES[0], "comm mb0"}, {COMM_SHADES[1], "comm mb1"}, {"#bbb", "wait"}};
        int lx = 10;
        for (String[] item : legend) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, legendY - 10, item[0], lx + 16, legendY, item[1]));
            lx += 110;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String laneKey(TraceSpan s) {
        String who = s.rank() >= 0 ? "rank " + s.rank() : "device " + s.device();
        return who + " · " + s.stream();
    }

    private static String color(TraceSpan s) {
        String[] shades = s.role() == StreamRole.COMPUTE ? COMPUTE_SHADES : COMM_SHADES;
        int mb = 0;
        if (s.tag() != null) {
            Matcher m = MICRO_BATCH.matcher(s.tag());
            if (m.find()) {
                mb = Integer.parseInt(m.group(1));
            }
        }
        return shades[mb % shades.length];
    }

    private static String label(TraceSpan s) {
        if (s.tag() == null || s.tag().isEmpty()) {
            return s.name();
        }
        String tag = s.tag();
        int slash = tag.lastIndexOf('/');
        return slash >= 0 ? tag.substring(slash + 1) : tag;
    }

    private static String tooltip(TraceSpan s) {
        return String.format(Locale.ROOT, "%s %s on %s: %.3f ms", s.name(), s.tag() == null ? "" : s.tag(), s.stream(),
                s.durationNanos() / 1e6);
    }

    private static double niceStep(double raw) {
        if (raw <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[]{1, 2, 5, 10}) {
            if (raw <= m * p) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
