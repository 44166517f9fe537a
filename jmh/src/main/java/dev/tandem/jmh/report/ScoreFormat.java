package dev.tandem.jmh.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Formats scores to four significant digits (whole numbers from 1000 up), and errors to the same number of
 * decimals as their score so the two line up. Benchmarks on a shared machine are not precise beyond that.
 */
public final class ScoreFormat {
    private static final int SIGNIFICANT_DIGITS = 4;

    private ScoreFormat() {
    }

    public static String score(double value) {
        if (!Double.isFinite(value)) {
            return nonFinite(value);
        }
        return round(value).toPlainString();
    }

    /** The error at the score's precision, or an en dash when JMH had too few samples to estimate one. */
    public static String error(double error, double score) {
        if (!Double.isFinite(error)) {
            return "\u2013";
        }
        int decimals = Double.isFinite(score) ? Math.max(0, round(score).scale()) : 3;
        return BigDecimal.valueOf(error).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
    }

    private static BigDecimal round(double value) {
        BigDecimal exact = BigDecimal.valueOf(value);
        if (value == 0 || Math.abs(value) >= Math.pow(10, SIGNIFICANT_DIGITS - 1)) {
            return exact.setScale(0, RoundingMode.HALF_UP);
        }
        BigDecimal rounded = exact.round(new MathContext(SIGNIFICANT_DIGITS, RoundingMode.HALF_UP));
        // Pad to four significant digits so a column reads evenly: 6.4 prints as 6.400.
        return rounded.setScale(rounded.scale() + SIGNIFICANT_DIGITS - rounded.precision(), RoundingMode.UNNECESSARY);
    }

    private static String nonFinite(double value) {
        return Double.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
    }
}
