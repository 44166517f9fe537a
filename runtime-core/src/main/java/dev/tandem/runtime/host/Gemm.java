package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/** Operand helpers shared by the host GEMMs: a rank-2 view (transposed when asked) as a row-major float[]. */
final class Gemm {
    private static final int TRANSPOSE_BLOCK = 32;

    private Gemm() {
    }

    /** The rank-2 view {@code t} (transposed when asked) as a row-major {@code float[]}. */
    static float[] pack(KernelLauncher launcher, Tensor t, boolean transpose) {
        Tensor logical = transpose ? t.transpose(0, 1) : t;
        int rows = logical.size(0);
        int cols = logical.size(1);
        float[] packed = new float[Math.multiplyExact(rows, cols)];
        if (rows > 1 && cols > 1 && logical.stride(1) != 1 && logical.stride(0) == 1) {
            // Column-major storage (a transposed view): read it in storage order, then transpose in
            // cache-sized blocks instead of striding through memory one element at a time.
            float[] stored = new float[packed.length];
            TensorAccess.of(launcher, logical.transpose(0, 1)).readFloats(0, stored, 0, stored.length);
            transpose(stored, cols, rows, packed);
        } else {
            TensorAccess.of(launcher, logical).readFloats(0, packed, 0, packed.length);
        }
        return packed;
    }

    /** {@code dst [cols, rows] = src [rows, cols]} transposed. */
    private static void transpose(float[] src, int rows, int cols, float[] dst) {
        for (int i0 = 0; i0 < rows; i0 += TRANSPOSE_BLOCK) {
            int i1 = Math.min(rows, i0 + TRANSPOSE_BLOCK);
            for (int j0 = 0; j0 < cols; j0 += TRANSPOSE_BLOCK) {
                int j1 = Math.min(cols, j0 + TRANSPOSE_BLOCK);
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) {
                        dst[j * rows + i] = src[i * cols + j];
                    }
                }
            }
        }
    }
}
