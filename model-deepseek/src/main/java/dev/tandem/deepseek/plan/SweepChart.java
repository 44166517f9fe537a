package dev.tandem.deepseek.plan;

import java.util.List;
import java.util.Locale;

/**
 * The sweep's outputs: a CSV row per configuration, and an SVG line chart of the predicted gain of the best
 * overlapped schedule over sequential against tokens per device (log scale), with the zero line marked.
 */
public final class SweepChart {
    private SweepChart() {
    }

    /**
     * CSV with a header row.
     *
     * @param plans the sweep's plans, one row each
     * @return the CSV text
     */
    public static String csv(List<CapacityPlanner.Plan> plans) {
        StringBuilder sb = new StringBuilder("tokens_per_device,sequential_ms,best_overlap,overlap_ms,gain_percent,"
                + "hidden_percent,pick\n");
        for (CapacityPlanner.Plan p : plans) {
            CapacityPlanner.Prediction best = bestOverlap(p);
            sb.append(String.format(Locale.ROOT, "%.1f,%.3f,%s,%.3f,%.2f,%.1f,%s%n", p.setup().tokensPerDevice(),
                    p.sequential().stepNanos() / 1e6, best == null ? "" : best.schedule(),
                    best == null ? Double.NaN : best.stepNanos() / 1e6, best == null ? 0.0 : gainPercent(p, best),
                    best == null ? 0.0 : best.hiddenPercent(), p.pick().schedule()));
        }
        return sb.toString();
    }

    /** The best overlapped prediction of a plan, or null when none was simulated. */
    static CapacityPlanner.Prediction bestOverlap(CapacityPlanner.Plan p) {
        CapacityPlanner.Prediction best = null;
        for (CapacityPlanner.Prediction q : p.predictions()) {
            if (q.microBatches() > 1 && (best == null || q.stepNanos() < best.stepNanos())) {
                best = q;
            }
        }
        return best;
    }

    static double gainPercent(CapacityPlanner.Plan p, CapacityPlanner.Prediction q) {
        return 100.0 * ((double) p.sequential().stepNanos() / q.stepNanos() - 1);
    }

    /**
     * A 720x360 SVG line chart; {@code title} goes on top.
     *
     * @param plans the sweep's plans, one point each
     * @param title the chart title
     * @return the SVG document
     */
    public static String svg(List<CapacityPlanner.Plan> plans, String title) {
        int w = 720;
        int h = 360;
        int left = 70;
        int right = 20;
        int top = 40;
        int bottom = 50;
        double minX = Double.MAX_VALUE;
        double maxX = 0;
        double minY = 0;
        double maxY = 0;
        for (CapacityPlanner.Plan p : plans) {
            CapacityPlanner.Prediction best = bestOverlap(p);
            double x = p.setup().tokensPerDevice();
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
            double y = best == null ? 0 : gainPercent(p, best);
            minY = Math.min(minY, y);
            maxY = Math.max(maxY, y);
        }
        minY = Math.floor(minY / 10) * 10;
        maxY = Math.ceil(Math.max(maxY, 10) / 10) * 10;
        double lx0 = Math.log(Math.max(minX, 1e-9));
        double lx1 = Math.log(Math.max(maxX, minX * 2));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", left, escape(title)));
        for (double y = minY; y <= maxY + 1e-9; y += Math.max(10, (maxY - minY) / 6)) {
            double py = top + (h - top - bottom) * (maxY - y) / (maxY - minY);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                    left, py, w - right, py, Math.abs(y) < 1e-9 ? "#444" : "#ddd"));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%+.0f%%</text>%n",
                    left - 6, py + 4, y));
        }
        StringBuilder path = new StringBuilder();
        for (CapacityPlanner.Plan p : plans) {
            CapacityPlanner.Prediction best = bestOverlap(p);
            double x = p.setup().tokensPerDevice();
            double y = best == null ? 0 : gainPercent(p, best);
            double px = left + (w - left - right) * (Math.log(x) - lx0) / (lx1 - lx0);
            double py = top + (h - top - bottom) * (maxY - y) / (maxY - minY);
            path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1f77b4\"/>%n", px, py));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px,
                    h - bottom + 16, formatTokens(x)));
        }
        sb.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>%n", path));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">new tokens per device "
                + "(log scale)</text>%n", (left + w - right) / 2, h - 12));
        sb.append(String.format(Locale.ROOT, "<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">"
                + "predicted gain of the best overlap over sequential</text>%n", (top + h - bottom) / 2));
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String formatTokens(double x) {
        return x == Math.rint(x) ? String.valueOf((long) x) : String.format(Locale.ROOT, "%.1f", x);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
