package dev.tandem.deepseek.demo;

import java.util.Arrays;

/** Robust statistics of repeated measurements: medians and the median absolute deviation. */
final class Medians {
    private Medians() {
    }

    /** The median (the mean of the middle two for an even count). */
    static long median(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The median of doubles (the mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The median absolute deviation from the median, over the median: how widely the values scatter. */
    static double relativeDeviation(double[] values) {
        double m = median(values);
        return median(Arrays.stream(values).map(v -> Math.abs(v - m)).toArray()) / m;
    }
}
