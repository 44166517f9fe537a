package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/**
 * Matrix multiplication on packed row-major {@code float[]} operands.
 *
 * <p>Determinism: every output element is one F32 accumulator that starts at 0 and adds {@code a[i,p] * b[p,j]}
 * for p = 0, 1, ..., k-1 in that order. Tiles over rows, columns and k only decide when that accumulator is
 * loaded from and stored to {@code c}, never the order of its additions, and Java never fuses the multiply and
 * add; so the result is bitwise that of the naive triple loop, whatever the tiling and thread count.
 *
 * <p>Speed: the inner loop runs along a row of {@code b} and a row of {@code c} ({@code c[i,j] += a[i,p] *
 * b[p,j]}), which HotSpot vectorizes because the lanes are independent sums; a {@code K_BLOCK x N_BLOCK} panel of
 * b stays in cache while a tile's rows sweep over it.
 */
final class Gemm {
    private static final int M_BLOCK = 32;
    private static final int N_BLOCK = 256;
    private static final int K_BLOCK = 256;
    private static final int TRANSPOSE_BLOCK = 32;

    private Gemm() {
    }

    /**
     * {@code out = op(a) x op(b)} for validated tensors: a is [m,k] or [batch,m,k] (before op), b is [k,n],
     * [batch,k,n] or a shared [k,n]; out is contiguous [m,n] or [batch,m,n].
     */
    static void matmul(KernelLauncher launcher, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        boolean batched = a.rank() == 3;
        int batches = batched ? a.size(0) : 1;
        int m = out.size(-2);
        int n = out.size(-1);
        int k = transposeA ? a.size(-2) : a.size(-1);
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        float[] sharedB = b.rank() == 2 ? pack(launcher, b, transposeB) : null;
        for (int batch = 0; batch < batches; batch++) {
            float[] packedA = pack(launcher, batched ? a.select(0, batch) : a, transposeA);
            float[] packedB = sharedB != null ? sharedB : pack(launcher, b.select(0, batch), transposeB);
            float[] c = new float[Math.multiplyExact(m, n)];
            multiply(launcher, packedA, packedB, c, m, n, k);
            outAccess.writeFloats((long) batch * m * n, c, 0, c.length);
        }
    }

    /** {@code c += a x b} for row-major a [m,k], b [k,n], c [m,n]; c is normally zero on entry. */
    static void multiply(KernelLauncher launcher, float[] a, float[] b, float[] c, int m, int n, int k) {
        int rowTiles = (m + M_BLOCK - 1) / M_BLOCK;
        int colTiles = (n + N_BLOCK - 1) / N_BLOCK;
        long workPerTile = (long) Math.min(m, M_BLOCK) * Math.min(n, N_BLOCK) * Math.max(k, 1);
        ParallelRanges.run(launcher, (long) rowTiles * colTiles, workPerTile, (from, to) -> {
            for (long tile = from; tile < to; tile++) {
                int i0 = (int) (tile / colTiles) * M_BLOCK;
                int j0 = (int) (tile % colTiles) * N_BLOCK;
                multiplyTile(a, b, c, n, k, i0, Math.min(m, i0 + M_BLOCK), j0, Math.min(n, j0 + N_BLOCK));
            }
        });
    }

    private static void multiplyTile(float[] a, float[] b, float[] c, int n, int k, int i0, int i1, int j0, int j1) {
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int p1 = Math.min(k, p0 + K_BLOCK);
            for (int i = i0; i < i1; i++) {
                int cRow = i * n;
                int aRow = i * k;
                for (int p = p0; p < p1; p++) {
                    axpy(a[aRow + p], b, p * n + j0, c, cRow + j0, j1 - j0);
                }
            }
        }
    }

    /** {@code y[yOff + j] += alpha * x[xOff + j]}: the vectorizable inner loop. */
    private static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int length) {
        for (int j = 0; j < length; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
    }

    /** The rank-2 view {@code t} (transposed when asked) as a row-major {@code float[]}. */
    static float[] pack(KernelLauncher launcher, Tensor t, boolean transpose) {
        Tensor logical = transpose ? t.transpose(0, 1) : t;
        int rows = logical.size(0);
        int cols = logical.size(1);
        float[] packed = new float[Math.multiplyExact(rows, cols)];
        if (rows > 1 && cols > 1 && logical.stride(1) != 1 && logical.stride(0) == 1) {
            // Column-major storage (typically a transposed weight): read it in storage order, then transpose
            // in cache-sized blocks instead of striding through memory one element at a time.
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
