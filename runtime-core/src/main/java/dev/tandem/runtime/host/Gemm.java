package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/** Operand helpers shared by the host GEMMs: a rank-2 view (transposed when asked) as a row-major float[]. */
final class Gemm {
    private static final int TRANSPOSE_BLOCK = 32;

    private Gemm() {
    }

    /**
     * The rank-2 view {@code t} (transposed when asked) as a row-major {@code float[]}: this thread's
     * {@link KernelScratch.Use#PACKED} array, whose first rows x cols floats hold it.
     */
    static float[] pack(KernelLauncher launcher, Tensor t, boolean transpose) {
        Tensor logical = transpose ? t.transpose(0, 1) : t;
        int rows = logical.size(0);
        int cols = logical.size(1);
        int count = Math.multiplyExact(rows, cols);
        float[] packed = KernelScratch.floats(KernelScratch.Use.PACKED, count);
        if (rows > 1 && cols > 1 && logical.stride(1) != 1 && logical.stride(0) == 1) {
            // Column-major storage (a transposed view): read it in storage order, then transpose in
            // cache-sized blocks instead of striding through memory one element at a time.
            float[] stored = KernelScratch.floats(KernelScratch.Use.STORED, count);
            TensorAccess.of(launcher, logical.transpose(0, 1)).readFloats(0, stored, 0, count);
            transpose(stored, cols, rows, packed);
        } else {
            TensorAccess.of(launcher, logical).readFloats(0, packed, 0, count);
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
