package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/**
 * Matrix multiplication as dot products of rows: {@code c[i,j] = a[i,:] . bt[j,:]}, where a is {@code op(a)}
 * packed row-major [m,k] and bt is {@code op(b)} transposed, [n,k], either packed or (for a weight stored
 * [out, in] and few rows of a) read straight from its buffer.
 *
 * <p>Determinism: every output element is one F32 accumulator that starts at 0 and adds {@code a[i,p] * bt[j,p]}
 * for p = 0, 1, ..., k-1 in that order. Tiles over rows, columns and k only decide when that accumulator is
 * parked in {@code c} and picked up again, never the order of its additions, and Java never fuses a multiply
 * with an add; so the result is bitwise that of the naive triple loop, whatever the tiling and thread count.
 *
 * <p>Speed: the micro-kernel runs eight such accumulators at once (one row of a against eight rows of bt), so
 * eight independent add chains hide the add latency; tiles of {@code M_BLOCK x K_BLOCK} of a and
 * {@code N_BLOCK x K_BLOCK} of bt stay in cache while they are combined.
 */
final class Gemm {
    private static final int M_BLOCK = 64;
    private static final int N_BLOCK = 64;
    private static final int K_BLOCK = 512;
    private static final int GROUP = 8;
    private static final int TRANSPOSE_BLOCK = 32;
    /** Up to this many rows of a, a weight stored [n,k] is read in place, once, instead of being packed. */
    private static final int IN_PLACE_MAX_M = 64;

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
        boolean inPlace = transposeB && m <= IN_PLACE_MAX_M;
        // op(b) transposed is b itself when transposeB is set, else b transposed.
        float[] sharedBt = b.rank() == 2 && !inPlace ? pack(launcher, b, !transposeB) : null;
        for (int batch = 0; batch < batches; batch++) {
            float[] packedA = pack(launcher, batched ? a.select(0, batch) : a, transposeA);
            Tensor batchB = b.rank() == 3 ? b.select(0, batch) : b;
            float[] c = new float[Math.multiplyExact(m, n)];
            if (inPlace) {
                multiplyInPlace(launcher, packedA, TensorAccess.of(launcher, batchB), c, m, n, k);
            } else {
                multiply(launcher, packedA, sharedBt != null ? sharedBt : pack(launcher, batchB, !transposeB), c, m, n, k);
            }
            outAccess.writeFloats((long) batch * m * n, c, 0, c.length);
        }
    }

    /** {@code c = a x bt^T} for packed a [m,k], bt [n,k] and zeroed c [m,n], tiled and split over threads. */
    static void multiply(KernelLauncher launcher, float[] a, float[] bt, float[] c, int m, int n, int k) {
        int rowTiles = (m + M_BLOCK - 1) / M_BLOCK;
        int colTiles = (n + N_BLOCK - 1) / N_BLOCK;
        long workPerTile = (long) Math.min(m, M_BLOCK) * Math.min(n, N_BLOCK) * Math.max(k, 1);
        ParallelRanges.run(launcher, (long) rowTiles * colTiles, workPerTile, (from, to) -> {
            for (long tile = from; tile < to; tile++) {
                int i0 = (int) (tile / colTiles) * M_BLOCK;
                int j0 = (int) (tile % colTiles) * N_BLOCK;
                int i1 = Math.min(m, i0 + M_BLOCK);
                int j1 = Math.min(n, j0 + N_BLOCK);
                for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
                    int p1 = Math.min(k, p0 + K_BLOCK);
                    for (int j = j0; j < j1; j += GROUP) {
                        int count = Math.min(GROUP, j1 - j);
                        for (int i = i0; i < i1; i++) {
                            dots(a, i * k, bt, j * k, k, count, p0, p1, c, i * n + j);
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code c = a x w^T} for packed a [m,k], w [n,k] read in place (a group of its rows at a time, for the whole
     * of k) and zeroed c [m,n]. For the few rows of a decode step this beats packing: w is read and converted
     * once, and nothing the size of w is allocated.
     */
    static void multiplyInPlace(KernelLauncher launcher, float[] a, TensorAccess w, float[] c, int m, int n, int k) {
        int groups = (n + GROUP - 1) / GROUP;
        ParallelRanges.run(launcher, groups, (long) GROUP * k * Math.max(m, 1), (from, to) -> {
            float[] rows = new float[GROUP * k];
            for (long group = from; group < to; group++) {
                int j = (int) group * GROUP;
                int count = Math.min(GROUP, n - j);
                w.readFloats((long) j * k, rows, 0, count * k);
                for (int i = 0; i < m; i++) {
                    dots(a, i * k, rows, 0, k, count, 0, k, c, i * n + j);
                }
            }
        });
    }

    /**
     * Continues {@code c[cOff + r] += a[aOff + p] * bt[btOff + r*k + p]} for p in {@code [p0, p1)} and r below
     * {@code count} (at most {@link #GROUP}).
     */
    private static void dots(float[] a, int aOff, float[] bt, int btOff, int k, int count, int p0, int p1,
                             float[] c, int cOff) {
        if (count == GROUP) {
            dot8(a, aOff, bt, btOff, k, p0, p1, c, cOff);
            return;
        }
        for (int r = 0; r < count; r++) {
            float sum = c[cOff + r];
            int row = btOff + r * k;
            for (int p = p0; p < p1; p++) {
                sum += a[aOff + p] * bt[row + p];
            }
            c[cOff + r] = sum;
        }
    }

    /** Eight dot products of one row of a with eight consecutive rows of bt: eight independent add chains. */
    private static void dot8(float[] a, int aOff, float[] bt, int btOff, int k, int p0, int p1, float[] c, int cOff) {
        float s0 = c[cOff];
        float s1 = c[cOff + 1];
        float s2 = c[cOff + 2];
        float s3 = c[cOff + 3];
        float s4 = c[cOff + 4];
        float s5 = c[cOff + 5];
        float s6 = c[cOff + 6];
        float s7 = c[cOff + 7];
        int b0 = btOff;
        int b1 = b0 + k;
        int b2 = b1 + k;
        int b3 = b2 + k;
        int b4 = b3 + k;
        int b5 = b4 + k;
        int b6 = b5 + k;
        int b7 = b6 + k;
        for (int p = p0; p < p1; p++) {
            float av = a[aOff + p];
            s0 += av * bt[b0 + p];
            s1 += av * bt[b1 + p];
            s2 += av * bt[b2 + p];
            s3 += av * bt[b3 + p];
            s4 += av * bt[b4 + p];
            s5 += av * bt[b5 + p];
            s6 += av * bt[b6 + p];
            s7 += av * bt[b7 + p];
        }
        c[cOff] = s0;
        c[cOff + 1] = s1;
        c[cOff + 2] = s2;
        c[cOff + 3] = s3;
        c[cOff + 4] = s4;
        c[cOff + 5] = s5;
        c[cOff + 6] = s6;
        c[cOff + 7] = s7;
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
