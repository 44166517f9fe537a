package dev.tandem.runtime.host;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorised Java GEMM (Vector API, {@code jdk.incubator.vector}; loaded only when that module is present,
 * see {@link HostGemms}). GotoBLAS-style: a is packed once into panels of {@link #MR} rows interleaved along k;
 * each task packs a {@link #KC} x {@link #NC} panel of b (converting BF16/F16 as it goes) into micro-panels of
 * {@code NR} columns; a {@code MR x NR} micro-kernel keeps its block of c in vector registers for the whole
 * k-panel. Products and sums are separate vector multiplies and adds (never fused), so the result is bitwise the
 * naive ascending-k loop's (see {@link JavaGemm}).
 */
final class VectorGemm extends JavaGemm {
    /** 256-bit vectors where the CPU has them (on AVX-512 machines they measured faster than 512-bit here). */
    private static final VectorSpecies<Float> SPECIES =
            FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
    private static final int L = SPECIES.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    static final int KC = 256;
    static final int NC = 256;
    /** Below this many multiply-adds a call stays on one thread. */
    private static final long MIN_PARALLEL_WORK = 1L << 18;

    @Override
    public String description() {
        return "Java Vector API GEMM (" + SPECIES.vectorBitSize() + "-bit, " + MR + "x" + NR
                + " micro-kernel; naive summation order)";
    }

    @Override
    void multiply(KernelLauncher launcher, float[] a, PanelReader bt, float[] c, int m, int n, int k) {
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        int mPanels = (m + MR - 1) / MR;
        float[] pa = packA(a, m, k, mPanels * MR);
        int colPanels = (n + NC - 1) / NC;
        int threads = Math.max(1, launcher.computeThreads());
        boolean parallel = threads > 1 && (long) m * n * k >= MIN_PARALLEL_WORK;
        int rowGroups = parallel ? Math.clamp((2L * threads + colPanels - 1) / colPanels, 1, mPanels) : 1;
        int tasks = colPanels * rowGroups;
        java.util.function.IntConsumer task = t -> {
            int jc = (t / rowGroups) * NC;
            int group = t % rowGroups;
            int panel0 = (int) ((long) mPanels * group / rowGroups);
            int panel1 = (int) ((long) mPanels * (group + 1) / rowGroups);
            block(pa, bt, c, m, n, k, jc, Math.min(n, jc + NC), panel0, panel1);
        };
        if (parallel && tasks > 1) {
            launcher.parallelFor(tasks, task);
        } else {
            for (int t = 0; t < tasks; t++) {
                task.accept(t);
            }
        }
    }

    /** a [m,k] as k-blocks of KC, each holding panels of MR rows with the rows interleaved: (p, r) at p*MR + r. */
    private static float[] packA(float[] a, int m, int k, int mp) {
        // padding rows must read as zeros: the micro-kernel multiplies them too
        int count = Math.multiplyExact(mp, k);
        float[] pa = KernelScratch.floats(KernelScratch.Use.PANELS_A, count);
        if (mp > m) {
            java.util.Arrays.fill(pa, 0, count, 0f);
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            for (int i0 = 0; i0 < m; i0 += MR) {
                int base = p0 * mp + i0 * kc;
                int rows = Math.min(MR, m - i0);
                for (int r = 0; r < rows; r++) {
                    int src = (i0 + r) * k + p0;
                    for (int p = 0; p < kc; p++) {
                        pa[base + p * MR + r] = a[src + p];
                    }
                }
            }
        }
        return pa;
    }

    /** Columns [j0, j1) of c for the row panels [panel0, panel1). */
    private static void block(float[] pa, PanelReader bt, float[] c, int m, int n, int k, int j0, int j1,
                              int panel0, int panel1) {
        int width = j1 - j0;
        int microPanels = (width + NR - 1) / NR;
        int mp = ((m + MR - 1) / MR) * MR;
        float[] line = KernelScratch.floats(KernelScratch.Use.LINE, Math.max(Math.min(KC, k), width));
        float[] pb = KernelScratch.floats(KernelScratch.Use.PANELS_B, Math.min(KC, k) * microPanels * NR);
        float[] tile = KernelScratch.floats(KernelScratch.Use.TILE, MR * NR);
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            bt.readMicroPanels(j0, j1, p0, p0 + kc, NR, pb, line);
            for (int panel = panel0; panel < panel1; panel++) {
                int i0 = panel * MR;
                int aOff = p0 * mp + i0 * kc;
                int rows = Math.min(MR, m - i0);
                for (int jr = 0; jr < width; jr += NR) {
                    int cols = Math.min(NR, width - jr);
                    int bOff = (jr / NR) * kc * NR;
                    int cOff = i0 * n + j0 + jr;
                    if (rows == MR && cols == NR) {
                        micro(pa, aOff, pb, bOff, kc, c, cOff, n);
                    } else {
                        for (int r = 0; r < MR; r++) {
                            for (int j = 0; j < NR; j++) {
                                tile[r * NR + j] = r < rows && j < cols ? c[cOff + r * n + j] : 0f;
                            }
                        }
                        micro(pa, aOff, pb, bOff, kc, tile, 0, NR);
                        for (int r = 0; r < rows; r++) {
                            System.arraycopy(tile, r * NR, c, cOff + r * n, cols);
                        }
                    }
                }
            }
        }
    }

    /** c[MR x NR block at cOff, row stride ldc] += pa panel x pb micro-panel over kc, in registers. */
    private static void micro(float[] pa, int aOff, float[] pb, int bOff, int kc, float[] c, int cOff, int ldc) {
        int r1 = cOff + ldc;
        int r2 = r1 + ldc;
        int r3 = r2 + ldc;
        int r4 = r3 + ldc;
        int r5 = r4 + ldc;
        FloatVector c00 = FloatVector.fromArray(SPECIES, c, cOff);
        FloatVector c01 = FloatVector.fromArray(SPECIES, c, cOff + L);
        FloatVector c10 = FloatVector.fromArray(SPECIES, c, r1);
        FloatVector c11 = FloatVector.fromArray(SPECIES, c, r1 + L);
        FloatVector c20 = FloatVector.fromArray(SPECIES, c, r2);
        FloatVector c21 = FloatVector.fromArray(SPECIES, c, r2 + L);
        FloatVector c30 = FloatVector.fromArray(SPECIES, c, r3);
        FloatVector c31 = FloatVector.fromArray(SPECIES, c, r3 + L);
        FloatVector c40 = FloatVector.fromArray(SPECIES, c, r4);
        FloatVector c41 = FloatVector.fromArray(SPECIES, c, r4 + L);
        FloatVector c50 = FloatVector.fromArray(SPECIES, c, r5);
        FloatVector c51 = FloatVector.fromArray(SPECIES, c, r5 + L);
        for (int p = 0; p < kc; p++) {
            int bp = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, pb, bp);
            FloatVector b1 = FloatVector.fromArray(SPECIES, pb, bp + L);
            int ap = aOff + p * MR;
            FloatVector x = FloatVector.broadcast(SPECIES, pa[ap]);
            c00 = c00.add(x.mul(b0));
            c01 = c01.add(x.mul(b1));
            x = FloatVector.broadcast(SPECIES, pa[ap + 1]);
            c10 = c10.add(x.mul(b0));
            c11 = c11.add(x.mul(b1));
            x = FloatVector.broadcast(SPECIES, pa[ap + 2]);
            c20 = c20.add(x.mul(b0));
            c21 = c21.add(x.mul(b1));
            x = FloatVector.broadcast(SPECIES, pa[ap + 3]);
            c30 = c30.add(x.mul(b0));
            c31 = c31.add(x.mul(b1));
            x = FloatVector.broadcast(SPECIES, pa[ap + 4]);
            c40 = c40.add(x.mul(b0));
            c41 = c41.add(x.mul(b1));
            x = FloatVector.broadcast(SPECIES, pa[ap + 5]);
            c50 = c50.add(x.mul(b0));
            c51 = c51.add(x.mul(b1));
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, r1);
        c11.intoArray(c, r1 + L);
        c20.intoArray(c, r2);
        c21.intoArray(c, r2 + L);
        c30.intoArray(c, r3);
        c31.intoArray(c, r3 + L);
        c40.intoArray(c, r4);
        c41.intoArray(c, r4 + L);
        c50.intoArray(c, r5);
        c51.intoArray(c, r5 + L);
    }
}
