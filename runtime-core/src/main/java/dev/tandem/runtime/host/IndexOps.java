package dev.tandem.runtime.host;

import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.Tensor;

import java.util.Arrays;

/**
 * Row gather ({@code indexSelect}) and row scatter-add ({@code indexAdd}). Index values are only known when the
 * work runs, so they are range-checked there, all of them before anything is written: a bad index throws
 * {@link OutOfRangeException}, which fails the stream and leaves the output untouched.
 */
final class IndexOps {
    private IndexOps() {
    }

    /** {@code out[i] = source[indices[i]]}, bit for bit, for validated source [n, ...], indices [m], out [m, ...]. */
    static void indexSelect(KernelLauncher launcher, Tensor source, Tensor indices, Tensor out) {
        long[] rows = readIndices(launcher, "indexSelect", indices, source);
        long rowSize = rowSize(source);
        TensorAccess sourceAccess = TensorAccess.of(launcher, source);
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        ParallelRanges.run(launcher, rows.length, rowSize, (from, to) -> {
            for (long i = from; i < to; i++) {
                TensorAccess.copyElements(sourceAccess, rows[(int) i] * rowSize, outAccess, i * rowSize, rowSize);
            }
        });
    }

    /**
     * {@code target[indices[i]] += alpha * source[i]} for i ascending, each update rounded to target's dtype, for
     * validated target [n, ...], indices [m], source [m, ...]. Work is split over columns, never over i, so
     * repeated indices always accumulate in the same order.
     */
    static void indexAdd(KernelLauncher launcher, Tensor target, Tensor indices, Tensor source, float alpha) {
        long[] rows = readIndices(launcher, "indexAdd", indices, target);
        long rowSize = rowSize(target);
        TensorAccess targetAccess = TensorAccess.of(launcher, target);
        TensorAccess sourceAccess = TensorAccess.of(launcher, source);
        int columnChunk = 1024;
        long chunks = (rowSize + columnChunk - 1) / columnChunk;
        ParallelRanges.run(launcher, chunks, (long) rows.length * columnChunk, (from, to) -> {
            float[] t = new float[columnChunk];
            float[] s = new float[columnChunk];
            for (long chunk = from; chunk < to; chunk++) {
                long column = chunk * columnChunk;
                int width = (int) Math.min(columnChunk, rowSize - column);
                for (int i = 0; i < rows.length; i++) {
                    long targetStart = rows[i] * rowSize + column;
                    targetAccess.readFloats(targetStart, t, 0, width);
                    sourceAccess.readFloats(i * rowSize + column, s, 0, width);
                    for (int j = 0; j < width; j++) {
                        t[j] = t[j] + alpha * s[j];
                    }
                    targetAccess.writeFloats(targetStart, t, 0, width);
                }
            }
        });
    }

    /** Elements per row of a tensor [n, ...]. */
    private static long rowSize(Tensor rowsTensor) {
        long n = rowsTensor.dim(0);
        return n == 0 ? 0 : rowsTensor.numel() / n;
    }

    private static long[] readIndices(KernelLauncher launcher, String op, Tensor indices, Tensor rowsTensor) {
        long[] values = new long[Math.toIntExact(indices.numel())];
        TensorAccess.of(launcher, indices).readLongs(0, values, 0, values.length);
        long n = rowsTensor.dim(0);
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] >= n) {
                throw new OutOfRangeException(op + ": indices[" + i + "] = " + values[i] + " is out of range for "
                        + Arrays.toString(rowsTensor.shape()) + " (valid rows 0.." + (n - 1) + ")");
            }
        }
        return values;
    }
}
