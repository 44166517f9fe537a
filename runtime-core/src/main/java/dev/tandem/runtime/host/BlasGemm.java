package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.host.blas.Cblas;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The host GEMM through a CBLAS library's {@code cblas_sgemm} (bound with jextract, loaded by
 * {@link BlasLibrary}). F32 operands with a unit stride on either axis are passed in place (transpose flag and
 * leading dimension taken from the view); other operands are converted to F32 scratch, a weight one tile of
 * columns at a time, so a BF16 weight is never copied whole.
 *
 * <p>Threads and determinism: the library runs single-threaded; each call is cut into a fixed grid of
 * {@link #TILE_M} x {@link #TILE_N} tiles that depends only on the shape, and the tiles (one {@code cblas_sgemm}
 * each) are spread over the device's compute threads. So the same call gives bitwise the same result whatever the
 * thread count, and two ranks in one process use exactly their compute threads, never more. The results are not
 * the naive loop's bit for bit (the library fuses multiply-adds and blocks k its own way).
 */
final class BlasGemm implements HostGemm {
    static final int TILE_M = 128;
    static final int TILE_N = 256;
    private static final int NO_TRANS = Cblas.CblasNoTrans();
    private static final int TRANS = Cblas.CblasTrans();
    private static final int ROW_MAJOR = Cblas.CblasRowMajor();

    private final String description;

    BlasGemm(BlasLibrary.Status library) {
        this.description = library.description() + " (cblas_sgemm through FFM, " + library.path() + ")";
    }

    @Override
    public String description() {
        return description;
    }

    /** A matrix operand as CBLAS takes it: memory, whether it is stored transposed, and its leading dimension. */
    private record Operand(MemorySegment base, boolean transposed, int ld) {
        /** The sub-matrix starting at logical (row, col). */
        MemorySegment at(long row, long col) {
            long element = transposed ? col * ld + row : row * ld + col;
            return base.asSlice(element * Float.BYTES);
        }
    }

    @Override
    public void matmul(KernelLauncher launcher, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        boolean batched = a.rank() == 3;
        int batches = batched ? a.size(0) : 1;
        int m = out.size(-2);
        int n = out.size(-1);
        int k = transposeA ? a.size(-2) : a.size(-1);
        if (m == 0 || n == 0) {
            return;
        }
        try (Scratch scratch = new Scratch()) {
            MemorySegment cScratch = out.dtype() == DType.F32 ? null : scratch.allocate((long) m * n * Float.BYTES);
            for (int batch = 0; batch < batches; batch++) {
                Tensor aView = batched ? a.select(0, batch) : a;
                Tensor bView = b.rank() == 3 ? b.select(0, batch) : b;
                Tensor opA = transposeA ? aView.transpose(0, 1) : aView;
                Tensor opB = transposeB ? bView.transpose(0, 1) : bView;
                Operand pa = direct(launcher, opA);
                if (pa == null) {
                    pa = packed(launcher, opA, scratch);
                }
                Operand pb = direct(launcher, opB);
                PanelReader bPanels = pb == null ? new PanelReader(launcher, bView, transposeB) : null;
                MemorySegment c = cScratch != null ? cScratch
                        : launcher.segment(out.buffer()).asSlice((out.offset() + (long) batch * m * n) * Float.BYTES);
                if (k == 0) {
                    c.asSlice(0, (long) m * n * Float.BYTES).fill((byte) 0);
                } else {
                    tiles(launcher, pa, pb, bPanels, c, m, n, k);
                }
                if (cScratch != null) {
                    float[] values = cScratch.toArray(ValueLayout.JAVA_FLOAT);
                    TensorAccess.of(launcher, out).writeFloats((long) batch * m * n, values, 0, values.length);
                }
            }
        }
    }

    private static void tiles(KernelLauncher launcher, Operand a, Operand b, PanelReader bPanels, MemorySegment c,
                              int m, int n, int k) {
        int rowTiles = (m + TILE_M - 1) / TILE_M;
        int colTiles = (n + TILE_N - 1) / TILE_N;
        int threads = Math.max(1, launcher.computeThreads());
        // A converted weight panel serves every row tile of its column when there are enough columns to share out.
        boolean wholeColumns = b == null && colTiles >= threads;
        int tasks = wholeColumns ? colTiles : rowTiles * colTiles;
        java.util.function.IntConsumer task = t -> {
            int col = wholeColumns ? t : t % colTiles;
            int firstRow = wholeColumns ? 0 : t / colTiles;
            int lastRow = wholeColumns ? rowTiles : firstRow + 1;
            int j0 = col * TILE_N;
            int tn = Math.min(TILE_N, n - j0);
            if (b != null) {
                for (int row = firstRow; row < lastRow; row++) {
                    int i0 = row * TILE_M;
                    sgemm(a, i0, b.transposed(), b.at(0, j0), b.ld(), c, i0, j0, Math.min(TILE_M, m - i0), tn, k, n);
                }
                return;
            }
            // Convert this tile's columns of b (rows of bt) to F32 now: a panel, never the whole weight.
            try (Arena local = Arena.ofConfined()) {
                MemorySegment panel = local.allocate((long) tn * k * Float.BYTES, 64);
                bPanels.readRows(j0, j0 + tn, panel);
                for (int row = firstRow; row < lastRow; row++) {
                    int i0 = row * TILE_M;
                    sgemm(a, i0, true, panel, k, c, i0, j0, Math.min(TILE_M, m - i0), tn, k, n);
                }
            }
        };
        if (tasks > 1 && threads > 1) {
            launcher.parallelFor(tasks, task);
        } else {
            for (int t = 0; t < tasks; t++) {
                task.accept(t);
            }
        }
    }

    /** One tile: {@code c[i0.., j0..] = a[i0.., :] x b}, where b already points at column j0. */
    private static void sgemm(Operand a, int i0, boolean bTransposed, MemorySegment b, int ldb, MemorySegment c,
                              int i0c, int j0, int m, int n, int k, int ldc) {
        MemorySegment cTile = c.asSlice(((long) i0c * ldc + j0) * Float.BYTES);
        Cblas.cblas_sgemm(ROW_MAJOR, a.transposed() ? TRANS : NO_TRANS, bTransposed ? TRANS : NO_TRANS,
                m, n, k, 1f, a.at(i0, 0), a.ld(), b, ldb, 0f, cTile, ldc);
    }

    /** The logical [rows, cols] view in place, when it is F32 with a unit stride on one axis; else null. */
    private static Operand direct(KernelLauncher launcher, Tensor view) {
        if (view.dtype() != DType.F32) {
            return null;
        }
        int rows = view.size(0);
        int cols = view.size(1);
        long s0 = view.stride(0);
        long s1 = view.stride(1);
        MemorySegment base = launcher.segment(view.buffer()).asSlice(view.offset() * Float.BYTES);
        if (cols == 1 || s1 == 1) {
            long ld = rows == 1 ? Math.max(1, cols) : s0;
            if (ld >= Math.max(1, cols) && ld <= Integer.MAX_VALUE) {
                return new Operand(base, false, (int) ld);
            }
        }
        if (rows == 1 || s0 == 1) {
            long ld = cols == 1 ? Math.max(1, rows) : s1;
            if (ld >= Math.max(1, rows) && ld <= Integer.MAX_VALUE) {
                return new Operand(base, true, (int) ld);
            }
        }
        return null;
    }

    /** The logical [rows, cols] view converted to contiguous F32 scratch. */
    private static Operand packed(KernelLauncher launcher, Tensor view, Scratch scratch) {
        float[] values = Gemm.pack(launcher, view, false);
        int count = view.size(0) * view.size(1);
        MemorySegment segment = scratch.allocate((long) count * Float.BYTES);
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT, 0, count);
        return new Operand(segment, false, Math.max(1, view.size(1)));
    }

    /** Native F32 scratch shared by a call's tiles; the arena (whose close is a handshake) exists only when used. */
    private static final class Scratch implements AutoCloseable {
        private Arena arena;

        MemorySegment allocate(long bytes) {
            if (arena == null) {
                arena = Arena.ofShared();
            }
            return arena.allocate(Math.max(1, bytes), 64);
        }

        @Override
        public void close() {
            if (arena != null) {
                arena.close();
            }
        }
    }
}
