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

    /**
     * A contiguous tensor starting at the first byte of {@code buffer}.
     *
     * @param buffer the memory viewed
     * @param dtype  the element type
     * @param shape  the dimensions, each non-negative
     * @return the tensor
     * @throws ShapeException if a dimension is negative
     * @throws OutOfRangeException if the tensor does not fit in the buffer
     */
    public static Tensor of(DeviceBuffer buffer, DType dtype, long... shape) {
        return at(buffer, dtype, 0, shape);
    }

    /**
     * A contiguous tensor starting {@code elementOffset} elements into {@code buffer}.
     *
     * @param buffer        the memory viewed
     * @param dtype         the element type
     * @param elementOffset offset of the first element, in elements
     * @param shape         the dimensions, each non-negative
     * @return the tensor
     * @throws ShapeException if a dimension is negative
     * @throws OutOfRangeException if the tensor does not fit in the buffer
     */
    public static Tensor at(DeviceBuffer buffer, DType dtype, long elementOffset, long... shape) {
        Objects.requireNonNull(buffer, "buffer");
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(shape);
        return new Tensor(buffer, dtype, s, contiguousStrides(s), elementOffset);
    }

    /**
     * A tensor with explicit strides (in elements).
     *
     * @param buffer        the memory viewed
     * @param dtype         the element type
     * @param elementOffset offset of the first element, in elements
     * @param shape         the dimensions, each non-negative
     * @param strides       the step between neighbours along each axis, in elements; as many as dimensions
     * @return the tensor
     * @throws ShapeException if there are not as many strides as dimensions, or a stride is negative
     * @throws OutOfRangeException if an element would lie outside the buffer
     */
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

    /**
     * Allocates a contiguous buffer of the right size on {@code stream}'s device and wraps it.
     *
     * @param device the device to allocate on
     * @param stream the stream the allocation is ordered on
     * @param dtype  the element type
     * @param shape  the dimensions
     * @return a tensor over a new buffer, which the caller closes via {@link #buffer()}
     */
    public static Tensor allocate(Device device, Stream stream, DType dtype, long... shape) {
        long[] s = checkShape(shape);
        long bytes = Math.multiplyExact(numel(s), (long) dtype.byteSize());
        return new Tensor(device.allocate(Math.max(bytes, 1), stream), dtype, s, contiguousStrides(s), 0);
    }

    /**
     * The memory this tensor views.
     *
     * @return the buffer, shared with other views
     */
    public DeviceBuffer buffer() {
        return buffer;
    }

    /**
     * The device the tensor's memory is on.
     *
     * @return the buffer's device
     */
    public Device device() {
        return buffer.device();
    }

    /**
     * The element type.
     *
     * @return the dtype
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The number of dimensions.
     *
     * @return the rank, 0 for a scalar
     */
    public int rank() {
        return shape.length;
    }

    /**
     * The dimensions.
     *
     * @return a copy of the shape
     */
    public long[] shape() {
        return shape.clone();
    }

    /**
     * The size of one dimension.
     *
     * @param axis the axis; negative counts from the last ({@code -1} is the last)
     * @return the size
     * @throws OutOfRangeException if there is no such axis
     */
    public long dim(int axis) {
        return shape[normalizeAxis(axis)];
    }

    /**
     * {@link #dim(int)} as an int, for sizes that are used as Java array lengths or loop bounds.
     *
     * @param axis the axis; negative counts from the last ({@code -1} is the last)
     * @return the size
     * @throws ArithmeticException if the size does not fit in an int
     */
    public int size(int axis) {
        return Math.toIntExact(dim(axis));
    }

    /**
     * The steps between neighbours along each axis.
     *
     * @return a copy of the strides, in elements
     */
    public long[] strides() {
        return strides.clone();
    }

    /**
     * The step between neighbours along one axis.
     *
     * @param axis the axis; negative counts from the last ({@code -1} is the last)
     * @return the stride, in elements
     */
    public long stride(int axis) {
        return strides[normalizeAxis(axis)];
    }

    /**
     * Offset of the first element, in elements from the start of the buffer.
     *
     * @return the offset in elements
     */
    public long offset() {
        return offset;
    }

    /**
     * Offset of the first element, in bytes from the start of the buffer.
     *
     * @return the offset in bytes
     */
    public long byteOffset() {
        return offset * dtype.byteSize();
    }

    /**
     * The number of elements.
     *
     * @return the product of the dimensions
     */
    public long numel() {
        return numel(shape);
    }

    /**
     * The bytes the elements occupy when contiguous.
     *
     * @return {@code numel() * dtype().byteSize()}
     */
    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    /**
     * Whether the elements are laid out densely in row-major order (axes of size 1 may have any stride).
     *
     * @return true if contiguous; always true for an empty tensor
     */
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

    /**
     * The same elements with another shape; the tensor must be contiguous. One dimension may be -1.
     *
     * @param newShape the new dimensions, with as many elements in all; -1 for one inferred dimension
     * @return the view
     * @throws ShapeException if the tensor is not contiguous or the element counts differ
     */
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

    /**
     * Elements {@code [start, end)} along {@code axis}.
     *
     * @param axis the axis; negative counts from the last ({@code -1} is the last)
     * @param start first index kept
     * @param end   index after the last kept
     * @return the view
     * @throws OutOfRangeException if the range lies outside the axis
     */
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

    /**
     * Index {@code index} along {@code axis}, dropping that axis.
     *
     * @param axis the axis; negative counts from the last ({@code -1} is the last)
     * @param index the index kept
     * @return the view, one rank lower
     * @throws OutOfRangeException if the index lies outside the axis
     */
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

    /**
     * Swaps two axes without copying.
     *
     * @param axis0 one axis; negative counts from the last
     * @param axis1 the other axis; negative counts from the last
     * @return the view
     */
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

    /**
     * The same memory reinterpreted with another dtype of the same width (e.g. I32 as F32 bits).
     *
     * @param other the new element type
     * @return the view
     * @throws ShapeException if the widths differ
     */
    public Tensor reinterpret(DType other) {
        if (other.byteSize() != dtype.byteSize()) {
            throw new ShapeException("cannot reinterpret " + dtype + " as " + other + ": widths differ");
        }
        return new Tensor(buffer, other, shape, strides, offset);
    }

    /**
     * Whether two tensors have equal dimensions (dtype and strides aside).
     *
     * @param other the other tensor
     * @return true if the shapes are equal
     */
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
