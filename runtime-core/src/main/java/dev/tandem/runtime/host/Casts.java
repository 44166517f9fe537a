package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.FloatFormats;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.Tensor;

/** Dtype conversion, bitwise copy and fill. */
final class Casts {
    private static final int CHUNK = 4096;

    private Casts() {
    }

    /**
     * Converts validated {@code source} into {@code out} of the same shape: floating to floating (through F32,
     * which holds every BF16 and F16 value exactly, so there is a single rounding to nearest even), or index to
     * index. I64 values that do not fit I32 throw {@link OutOfRangeException} before anything is written.
     */
    static void cast(KernelLauncher launcher, Tensor source, Tensor out) {
        TensorAccess from = TensorAccess.of(launcher, source);
        TensorAccess to = TensorAccess.of(launcher, out);
        long n = source.numel();
        if (source.dtype() == out.dtype()) {
            TensorAccess.copyElements(from, 0, to, 0, n);
        } else if (source.dtype().isFloatingPoint()) {
            float[] chunk = new float[(int) Math.min(CHUNK, n)];
            for (long done = 0; done < n; done += chunk.length) {
                int count = (int) Math.min(chunk.length, n - done);
                from.readFloats(done, chunk, 0, count);
                to.writeFloats(done, chunk, 0, count);
            }
        } else {
            long[] chunk = new long[(int) Math.min(CHUNK, n)];
            if (out.dtype() == DType.I32) {
                checkFitsInt(from, chunk, n);
            }
            for (long done = 0; done < n; done += chunk.length) {
                int count = (int) Math.min(chunk.length, n - done);
                from.readLongs(done, chunk, 0, count);
                to.writeLongs(done, chunk, 0, count);
            }
        }
    }

    private static void checkFitsInt(TensorAccess source, long[] chunk, long n) {
        for (long done = 0; done < n; done += chunk.length) {
            int count = (int) Math.min(chunk.length, n - done);
            source.readLongs(done, chunk, 0, count);
            for (int i = 0; i < count; i++) {
                if (chunk[i] != (int) chunk[i]) {
                    throw new OutOfRangeException("cast: element " + (done + i) + " = " + chunk[i]
                            + " does not fit I32");
                }
            }
        }
    }

    /** Copies validated {@code source} (any layout) into contiguous {@code out}, bit for bit. */
    static void copy(KernelLauncher launcher, Tensor source, Tensor out) {
        TensorAccess.copyElements(TensorAccess.of(launcher, source), 0, TensorAccess.of(launcher, out), 0, source.numel());
    }

    /** Sets every element of {@code out} to the raw pattern {@link #fillBits} computed for it. */
    static void fill(KernelLauncher launcher, Tensor out, long bits) {
        TensorAccess.of(launcher, out).fillBits(0, out.numel(), bits);
    }

    /**
     * The bit pattern of {@code value} in {@code dtype}, or null when the dtype cannot hold it exactly (integer
     * dtypes need a whole number in range; BOOL takes 0 or 1). Floating values round to F32 first, then to the
     * 16-bit formats.
     */
    static Long fillBits(DType dtype, double value) {
        return switch (dtype) {
            case F32 -> Float.floatToRawIntBits((float) value) & 0xFFFF_FFFFL;
            case BF16 -> FloatFormats.floatToBf16((float) value) & 0xFFFFL;
            case F16 -> FloatFormats.floatToF16((float) value) & 0xFFFFL;
            case I64 -> wholeIn(value, Long.MIN_VALUE, Long.MAX_VALUE) ? (Long) (long) value : null;
            case I32 -> wholeIn(value, Integer.MIN_VALUE, Integer.MAX_VALUE) ? (Long) (long) value : null;
            case I8 -> wholeIn(value, Byte.MIN_VALUE, Byte.MAX_VALUE) ? (Long) (long) value : null;
            case U8 -> wholeIn(value, 0, 255) ? (Long) (long) value : null;
            case BOOL -> wholeIn(value, 0, 1) ? (Long) (long) value : null;
        };
    }

    private static boolean wholeIn(double value, long min, long max) {
        // 2^63 itself rounds to Long.MAX_VALUE as a double, so the top bound is exclusive for I64.
        return value == Math.rint(value) && value >= min && (max == Long.MAX_VALUE ? value < 0x1p63 : value <= max);
    }
}
