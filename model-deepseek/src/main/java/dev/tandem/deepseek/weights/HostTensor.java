package dev.tandem.deepseek.weights;

import dev.tandem.runtime.FloatFormats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A tensor in host memory, usually a window onto a memory-mapped safetensors file: name, dtype, shape and raw
 * little-endian bytes. The segment is valid while the file that produced it is open.
 * @param name  the tensor's name in its file
 * @param dtype the element type
 * @param shape the dimensions, outermost first
 * @param data  the raw little-endian bytes, {@code numel() * dtype.byteSize()} long
 * @param file  the file the tensor came from, or null; used in error messages
 */
public record HostTensor(String name, StDType dtype, long[] shape, MemorySegment data, Path file) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Copies {@code shape} so later changes to the caller's array do not affect the tensor. */
    public HostTensor {
        shape = shape.clone();
    }

    /** {@return a copy of the dimensions} */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** {@return the number of elements, the product of the dimensions} */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * Fails naming file and tensor unless the shape is exactly {@code expected}.
     * @param expected the required dimensions
     * @return this tensor
     * @throws SafetensorsException if the shape differs
     */
    public HostTensor requireShape(long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new SafetensorsException(file, name, "shape " + Arrays.toString(shape) + " does not match expected "
                    + Arrays.toString(expected));
        }
        return this;
    }

    /**
     * The values as F32, converting F64/F16/BF16/F8_E4M3 (no block scale).
     * @return a new array of {@link #numel()} floats
     * @throws SafetensorsException if the dtype is not a floating type
     */
    public float[] toFloats() {
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, 0, out, 0, n);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) data.getAtIndex(F64, i);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = FloatFormats.bf16ToFloat(data.getAtIndex(I16, i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = FloatFormats.f16ToFloat(data.getAtIndex(I16, i));
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Fp8.e4m3ToFloat(data.get(ValueLayout.JAVA_BYTE, i));
                }
            }
            default -> throw new SafetensorsException(file, name, "dtype " + dtype + " is not a floating type");
        }
        return out;
    }

    /** {@return a copy of the raw bytes} */
    public byte[] toBytes() {
        return data.toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * Integer values (I32 or I64) as longs.
     * @return a new array of {@link #numel()} longs
     * @throws SafetensorsException if the dtype is not I32 or I64
     */
    public long[] toLongs() {
        int n = Math.toIntExact(numel());
        long[] out = new long[n];
        switch (dtype) {
            case I64 -> MemorySegment.copy(data, I64, 0, out, 0, n);
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getAtIndex(I32, i);
                }
            }
            default -> throw new SafetensorsException(file, name, "dtype " + dtype + " is not I32 or I64");
        }
        return out;
    }
}
