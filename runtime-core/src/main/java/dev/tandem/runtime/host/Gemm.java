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
 * b stays in cache while a tile's rows sweep over it. For {@code a x b^T} with few rows of a (decode steps and
 * linear layers on a handful of tokens) b is instead read in place, four rows at a time, into four independent
 * dot-product chains: no packing copy of the weight, and the same per-element summation order.
 */
final class Gemm {
    private static final int M_BLOCK = 32;
    private static final int N_BLOCK = 256;
    private static final int K_BLOCK = 256;
    private static final int TRANSPOSE_BLOCK = 32;
    /** Up to this many rows of a, {@code a x b^T} reads b's rows in place instead of packing b. */
    private static final int ROW_DOT_MAX_M = 64;
    private static final int ROW_GROUP = 4;

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
        boolean byRows = transposeB && m <= ROW_DOT_MAX_M;
        float[] sharedB = b.rank() == 2 && !byRows ? pack(launcher, b, transposeB) : null;
        for (int batch = 0; batch < batches; batch++) {
            float[] packedA = pack(launcher, batched ? a.select(0, batch) : a, transposeA);
            Tensor batchB = b.rank() == 3 ? b.select(0, batch) : b;
            float[] c = new float[Math.multiplyExact(m, n)];
            if (byRows) {
                multiplyByRows(launcher, packedA, TensorAccess.of(launcher, batchB), c, m, n, k);
            } else {
                multiply(launcher, packedA, sharedB != null ? sharedB : pack(launcher, batchB, transposeB), c, m, n, k);
            }
            outAccess.writeFloats((long) batch * m * n, c, 0, c.length);
        }
    }

    /**
     * {@code c = a x w^T} for a [m,k] packed and w [n,k] read in place, one group of w rows at a time. For the
     * few rows of a decode step this beats packing w: w is read once and never copied. Each output element is
     * still one accumulator over ascending k, so the result is bitwise that of {@link #multiply}.
     */
    static void multiplyByRows(KernelLauncher launcher, float[] a, TensorAccess w, float[] c, int m, int n, int k) {
        int groups = (n + ROW_GROUP - 1) / ROW_GROUP;
        ParallelRanges.run(launcher, groups, (long) ROW_GROUP * k * Math.max(m, 1), (from, to) -> {
            float[] rows = new float[ROW_GROUP * k];
            for (long group = from; group < to; group++) {
                int j0 = (int) group * ROW_GROUP;
                int count = Math.min(ROW_GROUP, n - j0);
                w.readFloats((long) j0 * k, rows, 0, count * k);
                for (int i = 0; i < m; i++) {
                    if (count == ROW_GROUP) {
                        dot4(a, i * k, rows, k, c, i * n + j0);
                    } else {
                        for (int r = 0; r < count; r++) {
                            c[i * n + j0 + r] = dot(a, i * k, rows, r * k, k);
                        }
                    }
                }
            }
        });
    }

    /** Four dot products of one row of a with four consecutive rows of w: four independent chains for ILP. */
    private static void dot4(float[] a, int aOff, float[] w, int k, float[] c, int cOff) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        for (int p = 0; p < k; p++) {
            float av = a[aOff + p];
            s0 += av * w[p];
            s1 += av * w[k + p];
            s2 += av * w[2 * k + p];
            s3 += av * w[3 * k + p];
        }
        c[cOff] = s0;
        c[cOff + 1] = s1;
        c[cOff + 2] = s2;
        c[cOff + 3] = s3;
    }

    private static float dot(float[] a, int aOff, float[] w, int wOff, int k) {
        float sum = 0;
        for (int p = 0; p < k; p++) {
            sum += a[aOff + p] * w[wOff + p];
        }
        return sum;
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
