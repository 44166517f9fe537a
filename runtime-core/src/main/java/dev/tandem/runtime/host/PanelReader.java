package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Reads blocks of {@code bt = op(b)} transposed, a [n,k] matrix, as F32 (BF16 and F16 widened on the fly), so a
 * GEMM converts one cache-sized panel of a weight at a time and never holds an F32 copy of the whole weight.
 * Rows of bt are the columns of op(b); for a linear layer's weight stored [out, in], they are its rows.
 */
final class PanelReader {
    private final int n;
    private final int k;
    /** bt itself when its rows are runs in memory (k contiguous), else null. */
    private final TensorAccess rows;
    /** bt transposed ([k,n]) when that is the layout with runs (n contiguous), else null. */
    private final TensorAccess columns;

    /** bt as a row-major array [n,k] (rowMajorBt) or its transpose [k,n], for GEMMs on kernel scratch. */
    private final float[] array;
    private final int arrayOffset;
    private final boolean arrayIsBt;

    private PanelReader(float[] array, int arrayOffset, boolean arrayIsBt, int n, int k) {
        this.array = array;
        this.arrayOffset = arrayOffset;
        this.arrayIsBt = arrayIsBt;
        this.n = n;
        this.k = k;
        this.rows = null;
        this.columns = null;
    }

    /** bt given as a row-major [n,k] array starting at {@code offset}. */
    static PanelReader ofBt(float[] bt, int offset, int n, int k) {
        return new PanelReader(bt, offset, true, n, k);
    }

    /** op(b) given as a row-major [k,n] array starting at {@code offset}. */
    static PanelReader ofB(float[] b, int offset, int k, int n) {
        return new PanelReader(b, offset, false, n, k);
    }

    PanelReader(KernelLauncher launcher, Tensor b, boolean transposeB) {
        this.array = null;
        this.arrayOffset = 0;
        this.arrayIsBt = false;
        Tensor bt = transposeB ? b : b.transpose(0, 1);
        this.n = bt.size(0);
        this.k = bt.size(1);
        if (bt.stride(1) == 1 || k == 1 || bt.stride(0) != 1) {
            this.rows = TensorAccess.of(launcher, bt);
            this.columns = null;
        } else {
            this.rows = null;
            this.columns = TensorAccess.of(launcher, bt.transpose(0, 1));
        }
    }

    int n() {
        return n;
    }

    int k() {
        return k;
    }

    /**
     * {@code bt[j0..j1, p0..p1]} into micro-panels of {@code nr} columns, as the vector GEMM's kernel reads them:
     * (p, j) at {@code ((j - j0) / nr) * kc * nr + (p - p0) * nr + (j - j0) % nr}, padded with zeros to whole
     * micro-panels. {@code line} is scratch of at least {@code max(p1 - p0, j1 - j0)} floats.
     */
    void readMicroPanels(int j0, int j1, int p0, int p1, int nr, float[] dst, float[] line) {
        int kc = p1 - p0;
        int width = j1 - j0;
        int padded = (width + nr - 1) / nr * nr;
        if (rowsContiguous()) {
            for (int j = 0; j < padded; j++) {
                int base = (j / nr) * kc * nr + j % nr;
                if (j < width) {
                    row(j0 + j, p0, line, 0, kc);
                    for (int p = 0; p < kc; p++) {
                        dst[base + p * nr] = line[p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        dst[base + p * nr] = 0f;
                    }
                }
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            column(p0 + p, j0, line, 0, width);
            for (int jr = 0; jr < padded; jr += nr) {
                int base = (jr / nr) * kc * nr + p * nr;
                int cols = Math.min(nr, width - jr);
                System.arraycopy(line, jr, dst, base, cols);
                if (cols < nr) {
                    java.util.Arrays.fill(dst, base + cols, base + nr, 0f);
                }
            }
        }
    }

    /** {@code bt[j0..j1, 0..k)} as F32 rows of k into native memory {@code dst} (a BLAS panel, leading dimension k). */
    void readRows(int j0, int j1, MemorySegment dst) {
        if (rows != null) {
            for (int j = j0; j < j1; j++) {
                rows.readFloats((long) j * k, dst, (long) (j - j0) * k * Float.BYTES, k);
            }
            return;
        }
        float[] values = new float[(j1 - j0) * k];
        readRows(j0, j1, 0, k, values, k);
        MemorySegment.copy(values, 0, dst, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, values.length);
    }

    /** {@code dst[(j - j0) * ld + (p - p0)] = bt[j, p]} for j in [j0, j1), p in [p0, p1). */
    void readRows(int j0, int j1, int p0, int p1, float[] dst, int ld) {
        int len = p1 - p0;
        if (rowsContiguous()) {
            for (int j = j0; j < j1; j++) {
                row(j, p0, dst, (j - j0) * ld, len);
            }
            return;
        }
        int width = j1 - j0;
        float[] line = new float[width];
        for (int p = p0; p < p1; p++) {
            column(p, j0, line, 0, width);
            for (int j = 0; j < width; j++) {
                dst[j * ld + (p - p0)] = line[j];
            }
        }
    }

    /** {@code dst[(p - p0) * ld + (j - j0)] = bt[j, p]}: the same block laid out along j. */
    void readColumns(int j0, int j1, int p0, int p1, float[] dst, int ld) {
        int width = j1 - j0;
        if (!rowsContiguous()) {
            for (int p = p0; p < p1; p++) {
                column(p, j0, dst, (p - p0) * ld, width);
            }
            return;
        }
        int len = p1 - p0;
        float[] line = new float[len];
        for (int j = j0; j < j1; j++) {
            row(j, p0, line, 0, len);
            for (int p = 0; p < len; p++) {
                dst[p * ld + (j - j0)] = line[p];
            }
        }
    }

    private boolean rowsContiguous() {
        return array != null ? arrayIsBt : rows != null;
    }

    /** bt[j, p0 .. p0+len) into dst[off..]; only when rows are contiguous. */
    private void row(int j, int p0, float[] dst, int off, int len) {
        if (array != null) {
            System.arraycopy(array, arrayOffset + j * k + p0, dst, off, len);
        } else {
            rows.readFloats((long) j * k + p0, dst, off, len);
        }
    }

    /** bt[j0 .. j0+width, p] into dst[off..]; only when columns are contiguous. */
    private void column(int p, int j0, float[] dst, int off, int width) {
        if (array != null) {
            System.arraycopy(array, arrayOffset + p * n + j0, dst, off, width);
        } else {
            columns.readFloats((long) p * n + j0, dst, off, width);
        }
    }
}
