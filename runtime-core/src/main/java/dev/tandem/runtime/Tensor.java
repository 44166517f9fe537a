package dev.tandem.runtime;

import java.util.Arrays;
import java.util.Objects;

/**
 * A typed, shaped window onto a {@link DeviceBuffer}: dtype, shape, strides and offset in elements.
 * Views, slices and transposes share the buffer; nothing is copied. A tensor does not own its buffer:
 * close the buffer (or the scope that allocated it) when the tensor is no longer needed.
 */
public final class Tensor {
    private final DeviceBuffer buffer;
    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final long offset;

    private Tensor(DeviceBuffer buffer, DType dtype, long[] shape, long[] strides, long offset) {
        this.buffer = buffer;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        checkFits();
    }

    /** A contiguous tensor starting at the first byte of {@code buffer}. */
    public static Tensor of(DeviceBuffer buffer, DType dtype, long... shape) {
        return at(buffer, dtype, 0, shape);
    }

    /** A contiguous tensor starting {@code elementOffset} elements into {@code buffer}. */
    public static Tensor at(DeviceBuffer buffer, DType dtype, long elementOffset, long... shape) {
        Objects.requireNonNull(buffer, "buffer");
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(shape);
        return new Tensor(buffer, dtype, s, contiguousStrides(s), elementOffset);
    }

    /** A tensor with explicit strides (in elements). */
    public static Tensor strided(DeviceBuffer buffer, DType dtype, long elementOffset, long[] shape, long[] strides) {
        Objects.requireNonNull(buffer, "buffer");
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(shape);
        if (strides.length != s.length) {
            throw new ShapeException("strides " + Arrays.toString(strides) + " do not match rank of shape " + Arrays.toString(s));
        }
        for (long st : strides) {
            if (st < 0) {
                throw new ShapeException("negative stride in " + Arrays.toString(strides));
            }
        }
        return new Tensor(buffer, dtype, s, strides.clone(), elementOffset);
    }

    /** Allocates a contiguous buffer of the right size on {@code stream}'s device and wraps it. */
    public static Tensor allocate(Device device, Stream stream, DType dtype, long... shape) {
        long[] s = checkShape(shape);
        long bytes = Math.multiplyExact(numel(s), (long) dtype.byteSize());
        return new Tensor(device.allocate(Math.max(bytes, 1), stream), dtype, s, contiguousStrides(s), 0);
    }

    public DeviceBuffer buffer() {
        return buffer;
    }

    public Device device() {
        return buffer.device();
    }

    public DType dtype() {
        return dtype;
    }

    public int rank() {
        return shape.length;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long dim(int axis) {
        return shape[normalizeAxis(axis)];
    }

    /** {@link #dim(int)} as an int, for sizes that are used as Java array lengths or loop bounds. */
    public int size(int axis) {
        return Math.toIntExact(dim(axis));
    }

    public long[] strides() {
        return strides.clone();
    }

    public long stride(int axis) {
        return strides[normalizeAxis(axis)];
    }

    /** Offset of the first element, in elements from the start of the buffer. */
    public long offset() {
        return offset;
    }

    public long byteOffset() {
        return offset * dtype.byteSize();
    }

    public long numel() {
        return numel(shape);
    }

    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    public boolean isContiguous() {
        if (numel() == 0) {
            return true; // no element to misplace
        }
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** The same elements with another shape; the tensor must be contiguous. One dimension may be -1. */
    public Tensor view(long... newShape) {
        if (!isContiguous()) {
            throw new ShapeException("view of a non-contiguous tensor " + this + "; copy it first");
        }
        long[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new ShapeException("view shape " + Arrays.toString(newShape) + " has more than one -1");
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new ShapeException("negative dimension in view shape " + Arrays.toString(newShape));
            } else {
                known = Math.multiplyExact(known, s[i]);
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new ShapeException("cannot infer -1 in view " + Arrays.toString(newShape) + " of " + this);
            }
            s[infer] = numel() / known;
        }
        if (numel(s) != numel()) {
            throw new ShapeException("view " + Arrays.toString(newShape) + " has " + numel(s)
                    + " elements but " + this + " has " + numel());
        }
        return new Tensor(buffer, dtype, s, contiguousStrides(s), offset);
    }

    /** Elements {@code [start, end)} along {@code axis}. */
    public Tensor slice(int axis, long start, long end) {
        int a = normalizeAxis(axis);
        if (start < 0 || end < start || end > shape[a]) {
            throw new OutOfRangeException("slice [" + start + ", " + end + ") out of range for axis " + a
                    + " of size " + shape[a] + " in " + this);
        }
        long[] s = shape.clone();
        s[a] = end - start;
        return new Tensor(buffer, dtype, s, strides.clone(), offset + start * strides[a]);
    }

    /** Index {@code index} along {@code axis}, dropping that axis. */
    public Tensor select(int axis, long index) {
        int a = normalizeAxis(axis);
        if (index < 0 || index >= shape[a]) {
            throw new OutOfRangeException("index " + index + " out of range for axis " + a + " of size " + shape[a]);
        }
        long[] s = new long[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != a) {
                s[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        return new Tensor(buffer, dtype, s, st, offset + index * strides[a]);
    }

    /** Swaps two axes without copying. */
    public Tensor transpose(int axis0, int axis1) {
        int a = normalizeAxis(axis0);
        int b = normalizeAxis(axis1);
        long[] s = shape.clone();
        long[] st = strides.clone();
        s[a] = shape[b];
        s[b] = shape[a];
        st[a] = strides[b];
        st[b] = strides[a];
        return new Tensor(buffer, dtype, s, st, offset);
    }

    /** The same memory reinterpreted with another dtype of the same width (e.g. I32 as F32 bits). */
    public Tensor reinterpret(DType other) {
        if (other.byteSize() != dtype.byteSize()) {
            throw new ShapeException("cannot reinterpret " + dtype + " as " + other + ": widths differ");
        }
        return new Tensor(buffer, other, shape, strides, offset);
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape)
                + (isContiguous() ? "" : " strides=" + Arrays.toString(strides))
                + (offset == 0 ? "" : " offset=" + offset) + "]";
    }

    private int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) {
            throw new OutOfRangeException("axis " + axis + " out of range for rank " + shape.length);
        }
        return a;
    }

    private void checkFits() {
        if (offset < 0) {
            throw new OutOfRangeException("negative tensor offset " + offset);
        }
        long capacity = buffer.byteSize() / dtype.byteSize();
        if (numel(shape) == 0) {
            if (offset > capacity) {
                throw new OutOfRangeException("offset " + offset + " beyond buffer of " + capacity + " " + dtype + " elements");
            }
            return;
        }
        long last = offset;
        for (int i = 0; i < shape.length; i++) {
            last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, strides[i]));
        }
        if (last >= capacity) {
            throw new OutOfRangeException("tensor " + Arrays.toString(shape) + " at offset " + offset + " with strides "
                    + Arrays.toString(strides) + " needs " + (last + 1) + " " + dtype + " elements but buffer holds "
                    + capacity);
        }
    }

    private static long[] checkShape(long[] shape) {
        Objects.requireNonNull(shape, "shape");
        for (long d : shape) {
            if (d < 0) {
                throw new ShapeException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        numel(shape);
        return shape.clone();
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new OutOfRangeException("shape " + Arrays.toString(shape) + " overflows a long element count");
            }
        }
        return n;
    }

    static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }
}
