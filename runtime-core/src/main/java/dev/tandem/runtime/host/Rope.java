package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/**
 * Rotary position embedding on interleaved pairs. The angle is {@code (float) position * frequency} in F32;
 * its cosine and sine come from {@link StrictMath} in double, cast to float, and the rotation is done in F32.
 */
final class Rope {
    private Rope() {
    }

    /** For validated x [t, d] or [t, h, d], positions [t], F32 frequencies [d/2], out like x (may be x). */
    static void rope(KernelLauncher launcher, Tensor x, Tensor positions, Tensor frequencies, Tensor out) {
        int tokens = x.size(0);
        int d = x.size(-1);
        int heads = x.rank() == 3 ? x.size(1) : 1;
        if (x.numel() == 0) {
            return;
        }
        long[] pos = new long[tokens];
        TensorAccess.of(launcher, positions).readLongs(0, pos, 0, tokens);
        float[] freq = new float[d / 2];
        TensorAccess.of(launcher, frequencies).readFloats(0, freq, 0, freq.length);
        TensorAccess xAccess = TensorAccess.of(launcher, x);
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        int tokenSize = heads * d;
        ParallelRanges.run(launcher, tokens, tokenSize + 16L * freq.length, (from, to) -> {
            float[] cos = new float[freq.length];
            float[] sin = new float[freq.length];
            float[] values = new float[tokenSize];
            for (long t = from; t < to; t++) {
                float position = (float) pos[(int) t];
                for (int i = 0; i < freq.length; i++) {
                    float angle = position * freq[i];
                    cos[i] = (float) StrictMath.cos(angle);
                    sin[i] = (float) StrictMath.sin(angle);
                }
                xAccess.readFloats(t * tokenSize, values, 0, tokenSize);
                for (int h = 0; h < heads; h++) {
                    int base = h * d;
                    for (int i = 0; i < freq.length; i++) {
                        float x0 = values[base + 2 * i];
                        float x1 = values[base + 2 * i + 1];
                        values[base + 2 * i] = x0 * cos[i] - x1 * sin[i];
                        values[base + 2 * i + 1] = x0 * sin[i] + x1 * cos[i];
                    }
                }
                outAccess.writeFloats(t * tokenSize, values, 0, tokenSize);
            }
        });
    }
}
