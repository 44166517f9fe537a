package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.FloatFormats;
import dev.tandem.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads and writes the elements of one (possibly strided) tensor in its memory segment, addressed by their
 * position in logical row-major order ("flat index"). Floating elements convert to and from {@code float}
 * (stores round to nearest even), integer elements to and from {@code long}, and any element can be moved as raw
 * bits. Only valid inside launched work, where the segment is live.
 */
final class TensorAccess {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int HALF_CHUNK = 2048;

    private final MemorySegment segment;
    private final DType dtype;
    private final int width;
    private final long numel;
    private final long offset;
    // The layout with size-1 axes dropped and mergeable neighbours merged, so runs along the last axis are as
    // long as possible; a contiguous tensor collapses to a single axis of stride 1.
    private final long[] shape;
    private final long[] strides;

    TensorAccess(MemorySegment segment, Tensor tensor) {
        this.segment = segment;
        this.dtype = tensor.dtype();
        this.width = dtype.byteSize();
        this.numel = tensor.numel();
        this.offset = tensor.offset();
        long[][] collapsed = collapse(tensor.shape(), tensor.strides());
        this.shape = collapsed[0];
        this.strides = collapsed[1];
    }

    static TensorAccess of(KernelLauncher launcher, Tensor tensor) {
        return new TensorAccess(launcher.segment(tensor.buffer()), tensor);
    }

    DType dtype() {
        return dtype;
    }

    long numel() {
        return numel;
    }

    /** True when the elements are densely packed in row-major order. */
    boolean isContiguous() {
        return shape.length == 1 && strides[0] == 1;
    }

    /** Reads elements {@code [start, start + count)} of a floating tensor into {@code dst[off...]}. */
    void readFloats(long start, float[] dst, int off, int count) {
        forEachRun(start, count, (element, stride, length, position) -> readFloatRun(element, stride, dst, off + position, length));
    }

    /**
     * Reads elements {@code [start, start + count)} of a floating tensor as F32 into native memory
     * {@code dst} at byte offset {@code dstOffset}: a dense F32 run is one copy and a dense BF16 run is widened
     * straight across (a BLAS panel needs no intermediate array).
     */
    void readFloats(long start, MemorySegment dst, long dstOffset, int count) {
        forEachRun(start, count, (element, stride, length, position) -> {
            long to = dstOffset + (long) position * Float.BYTES;
            if (stride == 1 && dtype == DType.F32) {
                MemorySegment.copy(segment, element * 4, dst, to, (long) length * 4);
            } else if (stride == 1 && dtype == DType.BF16) {
                long at = element * 2;
                for (int i = 0; i < length; i++) {
                    dst.set(FLOAT, to + 4L * i, Float.intBitsToFloat(segment.get(SHORT, at + 2L * i) << 16));
                }
            } else {
                float[] chunk = new float[length];
                readFloatRun(element, stride, chunk, 0, length);
                MemorySegment.copy(chunk, 0, dst, FLOAT, to, length);
            }
        });
    }

    /** Writes {@code src[off...]} into elements {@code [start, start + count)} of a floating tensor, rounding. */
    void writeFloats(long start, float[] src, int off, int count) {
        forEachRun(start, count, (element, stride, length, position) -> writeFloatRun(element, stride, src, off + position, length));
    }

    /** Reads integer elements (I32, I64, I8, U8 or BOOL) as longs. */
    void readLongs(long start, long[] dst, int off, int count) {
        forEachRun(start, count, (element, stride, length, position) -> {
            for (int i = 0; i < length; i++) {
                dst[off + position + i] = getLong(element + i * stride);
            }
        });
    }

    /** Writes integer elements, truncating to the dtype's width (callers range-check first). */
    void writeLongs(long start, long[] src, int off, int count) {
        forEachRun(start, count, (element, stride, length, position) -> {
            for (int i = 0; i < length; i++) {
                setLong(element + i * stride, src[off + position + i]);
            }
        });
    }

    /** Reads the raw bits of elements of any dtype (zero-extended into longs). */
    void readBits(long start, long[] dst, int off, int count) {
        forEachRun(start, count, (element, stride, length, position) -> {
            for (int i = 0; i < length; i++) {
                dst[off + position + i] = getBits(element + i * stride);
            }
        });
    }

    /** Writes raw element bits, the inverse of {@link #readBits}. */
    void writeBits(long start, long[] src, int off, int count) {
        forEachRun(start, count, (element, stride, length, position) -> {
            for (int i = 0; i < length; i++) {
                setBits(element + i * stride, src[off + position + i]);
            }
        });
    }

    /**
     * Copies {@code count} elements bit for bit from {@code source} (starting at flat index {@code sourceStart}) to
     * {@code target} (from {@code targetStart}); both have the same dtype.
     */
    static void copyElements(TensorAccess source, long sourceStart, TensorAccess target, long targetStart, long count) {
        if (count == 0) {
            return;
        }
        if (source.isContiguous() && target.isContiguous()) {
            MemorySegment.copy(source.segment, (source.offset + sourceStart) * source.width,
                    target.segment, (target.offset + targetStart) * target.width, count * source.width);
            return;
        }
        long[] bits = new long[(int) Math.min(count, 4096)];
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(bits.length, count - done);
            source.readBits(sourceStart + done, bits, 0, n);
            target.writeBits(targetStart + done, bits, 0, n);
            done += n;
        }
    }

    /** Sets elements {@code [start, start + count)} to the raw bit pattern {@code bits}. */
    void fillBits(long start, long count, long bits) {
        long[] chunk = new long[(int) Math.min(count, 4096)];
        Arrays.fill(chunk, bits);
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(chunk.length, count - done);
            writeBits(start + done, chunk, 0, n);
            done += n;
        }
    }

    // ---- runs: maximal pieces of a flat range that advance along the last (collapsed) axis ----

    @FunctionalInterface
    private interface RunVisitor {
        /** {@code length} elements from element offset {@code element} with {@code stride}; {@code position} is
         * the index of the first one relative to the start of the range. */
        void visit(long element, long stride, int length, int position);
    }

    private void forEachRun(long start, int count, RunVisitor visitor) {
        if (count <= 0) {
            return;
        }
        if (start < 0 || start + count > numel) {
            throw new IndexOutOfBoundsException("elements [" + start + ", " + (start + count) + ") of " + numel);
        }
        int last = shape.length - 1;
        if (start % shape[last] + count <= shape[last]) {
            // one run (a row, or part of one): the common case of GEMM panels, with nothing to allocate
            long element = offset;
            long rest = start;
            for (int d = last; d >= 0; d--) {
                element += (rest % shape[d]) * strides[d];
                rest /= shape[d];
            }
            visitor.visit(element, strides[last], count, 0);
            return;
        }
        long[] index = new long[shape.length];
        long element = offset;
        long rest = start;
        for (int d = last; d >= 0; d--) {
            index[d] = rest % shape[d];
            rest /= shape[d];
            element += index[d] * strides[d];
        }
        int position = 0;
        while (true) {
            int length = (int) Math.min(count - position, shape[last] - index[last]);
            visitor.visit(element, strides[last], length, position);
            position += length;
            if (position == count) {
                return;
            }
            // The run reached the end of the last axis: wrap it and carry into the leading axes.
            element -= index[last] * strides[last];
            index[last] = 0;
            for (int d = last - 1; d >= 0; d--) {
                index[d]++;
                element += strides[d];
                if (index[d] < shape[d]) {
                    break;
                }
                element -= index[d] * strides[d];
                index[d] = 0;
            }
        }
    }

    private void readFloatRun(long element, long stride, float[] dst, int off, int length) {
        switch (dtype) {
            case F32 -> {
                if (stride == 1) {
                    MemorySegment.copy(segment, FLOAT, element * 4, dst, off, length);
                } else {
                    for (int i = 0; i < length; i++) {
                        dst[off + i] = segment.get(FLOAT, (element + i * stride) * 4);
                    }
                }
            }
            case BF16, F16 -> {
                if (stride == 1) {
                    readHalfRun(element, dst, off, length);
                } else {
                    for (int i = 0; i < length; i++) {
                        dst[off + i] = widen(segment.get(SHORT, (element + i * stride) * 2));
                    }
                }
            }
            default -> throw new IllegalStateException("not a floating tensor: " + dtype);
        }
    }

    /** A dense run of a 16-bit format: BF16 widened straight from memory; F16 bulk-copied, then widened. */
    private void readHalfRun(long element, float[] dst, int off, int length) {
        if (dtype == DType.BF16) {
            long at = element * 2;
            for (int i = 0; i < length; i++) {
                dst[off + i] = Float.intBitsToFloat(segment.get(SHORT, at + 2L * i) << 16);
            }
            return;
        }
        short[] bits = new short[Math.min(length, HALF_CHUNK)];
        for (int done = 0; done < length; done += bits.length) {
            int n = Math.min(bits.length, length - done);
            MemorySegment.copy(segment, SHORT, (element + done) * 2, bits, 0, n);
            for (int i = 0; i < n; i++) {
                dst[off + done + i] = FloatFormats.f16ToFloat(bits[i]);
            }
        }
    }

    /** A dense run of a 16-bit format: round into a chunk of bits, then bulk-copy it. */
    private void writeHalfRun(long element, float[] src, int off, int length) {
        short[] bits = new short[Math.min(length, HALF_CHUNK)];
        for (int done = 0; done < length; done += bits.length) {
            int n = Math.min(bits.length, length - done);
            for (int i = 0; i < n; i++) {
                bits[i] = narrow(src[off + done + i]);
            }
            MemorySegment.copy(bits, 0, segment, SHORT, (element + done) * 2, n);
        }
    }

    private float widen(short bits) {
        return dtype == DType.BF16 ? FloatFormats.bf16ToFloat(bits) : FloatFormats.f16ToFloat(bits);
    }

    private short narrow(float value) {
        return dtype == DType.BF16 ? FloatFormats.floatToBf16(value) : FloatFormats.floatToF16(value);
    }

    private void writeFloatRun(long element, long stride, float[] src, int off, int length) {
        switch (dtype) {
            case F32 -> {
                if (stride == 1) {
                    MemorySegment.copy(src, off, segment, FLOAT, element * 4, length);
                } else {
                    for (int i = 0; i < length; i++) {
                        segment.set(FLOAT, (element + i * stride) * 4, src[off + i]);
                    }
                }
            }
            case BF16, F16 -> {
                if (stride == 1) {
                    writeHalfRun(element, src, off, length);
                } else {
                    for (int i = 0; i < length; i++) {
                        segment.set(SHORT, (element + i * stride) * 2, narrow(src[off + i]));
                    }
                }
            }
            default -> throw new IllegalStateException("not a floating tensor: " + dtype);
        }
    }

    private long getLong(long element) {
        long at = element * width;
        return switch (dtype) {
            case I64 -> segment.get(LONG, at);
            case I32 -> segment.get(INT, at);
            case I8 -> segment.get(ValueLayout.JAVA_BYTE, at);
            case U8, BOOL -> segment.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
            default -> throw new IllegalStateException("not an integer tensor: " + dtype);
        };
    }

    private void setLong(long element, long value) {
        long at = element * width;
        switch (dtype) {
            case I64 -> segment.set(LONG, at, value);
            case I32 -> segment.set(INT, at, (int) value);
            case I8, U8, BOOL -> segment.set(ValueLayout.JAVA_BYTE, at, (byte) value);
            default -> throw new IllegalStateException("not an integer tensor: " + dtype);
        }
    }

    private long getBits(long element) {
        long at = element * width;
        return switch (width) {
            case 1 -> segment.get(ValueLayout.JAVA_BYTE, at) & 0xFFL;
            case 2 -> segment.get(SHORT, at) & 0xFFFFL;
            case 4 -> segment.get(INT, at) & 0xFFFF_FFFFL;
            default -> segment.get(LONG, at);
        };
    }

    private void setBits(long element, long bits) {
        long at = element * width;
        switch (width) {
            case 1 -> segment.set(ValueLayout.JAVA_BYTE, at, (byte) bits);
            case 2 -> segment.set(SHORT, at, (short) bits);
            case 4 -> segment.set(INT, at, (int) bits);
            default -> segment.set(LONG, at, bits);
        }
    }

    private static long[][] collapse(long[] shape, long[] strides) {
        for (long d : shape) {
            if (d == 0) {
                return new long[][] {{0}, {1}};
            }
        }
        List<long[]> axes = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            if (!axes.isEmpty()) {
                long[] previous = axes.getLast();
                if (previous[1] == shape[i] * strides[i]) {
                    previous[0] *= shape[i];
                    previous[1] = strides[i];
                    continue;
                }
            }
            axes.add(new long[] {shape[i], strides[i]});
        }
        if (axes.isEmpty()) {
            return new long[][] {{1}, {1}};
        }
        long[] s = new long[axes.size()];
        long[] st = new long[axes.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = axes.get(i)[0];
            st[i] = axes.get(i)[1];
        }
        return new long[][] {s, st};
    }
}
