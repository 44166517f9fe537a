package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

import java.util.Arrays;

/**
 * Softmax over the last axis, optionally with a causal mask. Numerically stable (the row maximum is subtracted
 * before exponentiating); exponentials use {@link StrictMath} and the normalizing sum is a double accumulated in
 * ascending column order, so results are bitwise reproducible.
 */
final class Softmax {
    private Softmax() {
    }

    /**
     * For validated x [..., q, k] and out like x. With {@code causalOffset >= 0}, row i of each [q, k] matrix
     * sees columns {@code j <= i + causalOffset}; masked columns become 0. A row whose visible entries are all
     * negative infinity (or that sees no column) becomes all zeros rather than NaN.
     */
    static void softmax(KernelLauncher launcher, Tensor x, Tensor out, long causalOffset) {
        int k = x.rank() == 0 ? 1 : x.size(-1);
        if (x.numel() == 0 || k == 0) {
            return;
        }
        long rows = x.numel() / k;
        long queries = causalOffset >= 0 ? x.dim(-2) : 1;
        TensorAccess xAccess = TensorAccess.of(launcher, x);
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        ParallelRanges.run(launcher, rows, 8L * k, (from, to) -> {
            float[] row = new float[k];
            double[] exps = new double[k];
            for (long r = from; r < to; r++) {
                xAccess.readFloats(r * k, row, 0, k);
                // min(causalOffset, k) first: a huge offset must not overflow into a negative column count.
                int visible = causalOffset >= 0 ? (int) Math.min(k, r % queries + Math.min(causalOffset, k) + 1) : k;
                softmaxRow(row, exps, visible);
                outAccess.writeFloats(r * k, row, 0, k);
            }
        });
    }

    /** Replaces {@code row[0, visible)} by its softmax and zeroes the rest. */
    private static void softmaxRow(float[] row, double[] exps, int visible) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            max = Math.max(max, row[j]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            visible = 0;
        }
        double sum = 0;
        for (int j = 0; j < visible; j++) {
            exps[j] = StrictMath.exp((double) row[j] - max);
            sum += exps[j];
        }
        for (int j = 0; j < visible; j++) {
            row[j] = (float) (exps[j] / sum);
        }
        Arrays.fill(row, visible, row.length, 0f);
    }
}
