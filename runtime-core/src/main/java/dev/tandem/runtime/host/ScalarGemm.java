package dev.tandem.runtime.host;

/**
 * The scalar Java GEMM, for JVMs without {@code jdk.incubator.vector}: dot products of one row of a with eight
 * rows of bt at a time (eight independent add chains hide the add latency). Work splits over column tiles of
 * {@link #N_BLOCK} rows of bt; each tile reads its rows of b one {@link #K_BLOCK} panel at a time (converting
 * BF16/F16 as it goes) and combines them with every row of a while they are in cache.
 */
final class ScalarGemm extends JavaGemm {
    private static final int N_BLOCK = 64;
    private static final int K_BLOCK = 512;
    private static final int GROUP = 8;

    @Override
    public String description() {
        return "Java scalar GEMM (no jdk.incubator.vector; naive summation order)";
    }

    @Override
    void multiply(KernelLauncher launcher, float[] a, PanelReader bt, float[] c, int m, int n, int k) {
        int colTiles = (n + N_BLOCK - 1) / N_BLOCK;
        long workPerTile = (long) Math.max(m, 1) * Math.min(n, N_BLOCK) * Math.max(k, 1);
        ParallelRanges.run(launcher, colTiles, workPerTile, (from, to) -> {
            float[] panel = new float[Math.min(n, N_BLOCK) * Math.min(Math.max(k, 1), K_BLOCK)];
            for (long tile = from; tile < to; tile++) {
                int j0 = (int) tile * N_BLOCK;
                int j1 = Math.min(n, j0 + N_BLOCK);
                for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
                    int p1 = Math.min(k, p0 + K_BLOCK);
                    int kc = p1 - p0;
                    bt.readRows(j0, j1, p0, p1, panel, kc);
                    // A group of panel rows stays in L1 while every row of a passes by.
                    for (int j = j0; j < j1; j += GROUP) {
                        int count = Math.min(GROUP, j1 - j);
                        for (int i = 0; i < m; i++) {
                            dots(a, i * k + p0, panel, (j - j0) * kc, kc, count, c, i * n + j);
                        }
                    }
                }
            }
        });
    }

    /**
     * Continues {@code c[cOff + r] += a[aOff + p] * panel[bOff + r*kc + p]} for p in {@code [0, kc)} and r below
     * {@code count} (at most {@link #GROUP}).
     */
    private static void dots(float[] a, int aOff, float[] panel, int bOff, int kc, int count, float[] c, int cOff) {
        if (count == GROUP) {
            dot8(a, aOff, panel, bOff, kc, c, cOff);
            return;
        }
        for (int r = 0; r < count; r++) {
            float sum = c[cOff + r];
            int row = bOff + r * kc;
            for (int p = 0; p < kc; p++) {
                sum += a[aOff + p] * panel[row + p];
            }
            c[cOff + r] = sum;
        }
    }

    /** Eight dot products of one row of a with eight consecutive panel rows: eight independent add chains. */
    private static void dot8(float[] a, int aOff, float[] panel, int bOff, int kc, float[] c, int cOff) {
        float s0 = c[cOff];
        float s1 = c[cOff + 1];
        float s2 = c[cOff + 2];
        float s3 = c[cOff + 3];
        float s4 = c[cOff + 4];
        float s5 = c[cOff + 5];
        float s6 = c[cOff + 6];
        float s7 = c[cOff + 7];
        int b0 = bOff;
        int b1 = b0 + kc;
        int b2 = b1 + kc;
        int b3 = b2 + kc;
        int b4 = b3 + kc;
        int b5 = b4 + kc;
        int b6 = b5 + kc;
        int b7 = b6 + kc;
        for (int p = 0; p < kc; p++) {
            float av = a[aOff + p];
            s0 += av * panel[b0 + p];
            s1 += av * panel[b1 + p];
            s2 += av * panel[b2 + p];
            s3 += av * panel[b3 + p];
            s4 += av * panel[b4 + p];
            s5 += av * panel[b5 + p];
            s6 += av * panel[b6 + p];
            s7 += av * panel[b7 + p];
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
}
