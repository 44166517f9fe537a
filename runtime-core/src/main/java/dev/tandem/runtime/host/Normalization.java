package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/** RMSNorm over the last axis. The sum of squares is accumulated in double, in ascending order. */
final class Normalization {
    private Normalization() {
    }

    /** {@code out = x / sqrt(mean(x^2) + eps) * weight} for validated x [..., d], weight [d], out like x. */
    static void rmsNorm(KernelLauncher launcher, Tensor x, Tensor weight, float eps, Tensor out) {
        int d = x.rank() == 0 ? 1 : x.size(-1);
        if (x.numel() == 0 || d == 0) {
            return;
        }
        long rows = x.numel() / d;
        TensorAccess xAccess = TensorAccess.of(launcher, x);
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        float[] w = new float[d];
        TensorAccess.of(launcher, weight).readFloats(0, w, 0, d);
        ParallelRanges.run(launcher, rows, d, (from, to) -> {
            float[] row = new float[d];
            for (long r = from; r < to; r++) {
                xAccess.readFloats(r * d, row, 0, d);
                double sumOfSquares = 0;
                for (int j = 0; j < d; j++) {
                    sumOfSquares += (double) row[j] * row[j];
                }
                double inverseRms = 1.0 / Math.sqrt(sumOfSquares / d + eps);
                for (int j = 0; j < d; j++) {
                    row[j] = (float) (row[j] * inverseRms * w[j]);
                }
                outAccess.writeFloats(r * d, row, 0, d);
            }
        });
    }
}
