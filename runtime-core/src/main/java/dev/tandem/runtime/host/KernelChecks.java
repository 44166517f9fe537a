package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;

import java.util.Arrays;
import java.util.Objects;

/**
 * Argument validation for one kernel call, done before anything is enqueued. Every message starts with the
 * operation's name and names the offending argument and its shape.
 */
final class KernelChecks {
    private final String op;
    private final Stream stream;

    KernelChecks(String op, Stream stream) {
        this.op = op;
        this.stream = Objects.requireNonNull(stream, () -> op + ": stream");
    }

    /** A tensor the kernel reads: non-null and on the stream's device. */
    Tensor input(String name, Tensor t) {
        Objects.requireNonNull(t, () -> op + ": " + name);   // message built only on failure
        if (t.device() != stream.device()) {
            throw new WrongDeviceException(op + ": " + name + " " + t + " is on device " + describe(t)
                    + " but stream '" + stream.name() + "' runs on device " + stream.device().id());
        }
        return t;
    }

    /** A tensor the kernel writes: as {@link #input}, and contiguous. */
    Tensor output(String name, Tensor t) {
        input(name, t);
        // Empty tensors hold nothing to lay out (and Tensor.isContiguous() rejects some of them, e.g. [2, 0]).
        if (t.numel() != 0 && !t.isContiguous()) {
            throw new ShapeException(op + ": output " + name + " " + t + " must be contiguous");
        }
        return t;
    }

    void floating(String name, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new ShapeException(op + ": " + name + " " + t + " must be F32, BF16 or F16");
        }
    }

    void index(String name, Tensor t) {
        if (!t.dtype().isIndex()) {
            throw new ShapeException(op + ": " + name + " " + t + " must be I32 or I64");
        }
    }

    void dtype(String name, Tensor t, DType expected) {
        if (t.dtype() != expected) {
            throw new ShapeException(op + ": " + name + " " + t + " must be " + expected);
        }
    }

    void rank(String name, Tensor t, int... allowed) {
        for (int r : allowed) {
            if (t.rank() == r) {
                return;
            }
        }
        String expected = allowed.length == 1 ? String.valueOf(allowed[0])
                : Arrays.toString(allowed).replace("[", "").replace("]", "").replace(", ", " or ");
        throw new ShapeException(op + ": " + name + " " + shape(t) + " must have rank " + expected + ", not " + t.rank());
    }

    void minRank(String name, Tensor t, int min) {
        if (t.rank() < min) {
            throw new ShapeException(op + ": " + name + " " + shape(t) + " must have rank at least " + min);
        }
    }

    void sameShape(String name, Tensor t, String otherName, Tensor other) {
        if (!t.sameShape(other)) {
            throw new ShapeException(op + ": " + name + " " + shape(t) + " and " + otherName + " " + shape(other)
                    + " must have the same shape");
        }
    }

    void shapeIs(String name, Tensor t, long... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new ShapeException(op + ": " + name + " " + shape(t) + " must have shape " + Arrays.toString(expected));
        }
    }

    /** {@code b}'s shape equals {@code a}'s or is a suffix of it (broadcast over a's leading axes). */
    void broadcastsTo(String bName, Tensor b, String aName, Tensor a) {
        long[] as = a.shape();
        long[] bs = b.shape();
        boolean suffix = bs.length <= as.length
                && Arrays.equals(bs, Arrays.copyOfRange(as, as.length - bs.length, as.length));
        if (!suffix) {
            throw new ShapeException(op + ": " + bName + " " + Arrays.toString(bs) + " is neither " + aName + "'s shape "
                    + Arrays.toString(as) + " nor a suffix of it");
        }
    }

    /** A count the kernel uses as a Java array length or int loop bound. */
    int fitsInt(String what, long value) {
        if (value > Integer.MAX_VALUE) {
            throw new OutOfRangeException(op + ": " + what + " " + value + " exceeds " + Integer.MAX_VALUE);
        }
        return (int) value;
    }

    /**
     * {@code out} must not share memory with {@code in}, except (when {@code identicalAllowed}) as exactly the
     * same view, which element-wise and row-wise kernels handle because they read each chunk or row completely
     * before writing its results to the same place.
     */
    void noOverlap(String outName, Tensor out, String inName, Tensor in, boolean identicalAllowed) {
        if (out.buffer() != in.buffer() || out.numel() == 0 || in.numel() == 0) {
            return;
        }
        boolean identical = out.dtype() == in.dtype() && out.offset() == in.offset()
                && Arrays.equals(out.shape(), in.shape()) && Arrays.equals(out.strides(), in.strides());
        if (identical && identicalAllowed) {
            return;
        }
        long[] o = byteExtent(out);
        long[] i = byteExtent(in);
        if (o[0] < i[1] && i[0] < o[1]) {
            throw new ShapeException(op + ": " + outName + " " + out + " overlaps " + inName + " " + in
                    + (identicalAllowed ? "; an output may only alias an input as exactly the same view" : ""));
        }
    }

    String op() {
        return op;
    }

    static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    private static long[] byteExtent(Tensor t) {
        long last = t.offset();
        long[] shape = t.shape();
        long[] strides = t.strides();
        for (int d = 0; d < shape.length; d++) {
            last += (shape[d] - 1) * strides[d];
        }
        int w = t.dtype().byteSize();
        return new long[] {t.offset() * w, (last + 1) * w};
    }

    private static String describe(Tensor t) {
        return String.valueOf(t.device().id());
    }
}
