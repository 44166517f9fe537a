package dev.tandem.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Validation and encoding shared by the array copies of {@link Stream}. */
final class TensorCopies {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private TensorCopies() {
    }

    static void checkHostCopy(Tensor tensor, int length, boolean floating) {
        if (!tensor.dtype().isFloatingPoint()) {
            throw new ShapeException("float[] copy needs a F32, BF16 or F16 tensor, got " + tensor);
        }
        checkLength(tensor, length);
    }

    static void checkHostCopy(Tensor tensor, int length, DType expected) {
        if (tensor.dtype() != expected) {
            throw new ShapeException("array copy needs a " + expected + " tensor, got " + tensor);
        }
        checkLength(tensor, length);
    }

    private static void checkLength(Tensor tensor, int length) {
        if (!tensor.isContiguous()) {
            throw new ShapeException("host copies need a contiguous tensor; copy " + tensor + " with Kernels.copy first");
        }
        if (tensor.numel() != length) {
            throw new OutOfRangeException("array of " + length + " elements does not match " + tensor
                    + " with " + tensor.numel() + " elements");
        }
    }

    static MemorySegment encodeFloats(float[] values, DType dtype) {
        return switch (dtype) {
            case F32 -> MemorySegment.ofArray(values.clone());
            case BF16 -> {
                short[] bits = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    bits[i] = FloatFormats.floatToBf16(values[i]);
                }
                yield MemorySegment.ofArray(bits);
            }
            case F16 -> {
                short[] bits = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    bits[i] = FloatFormats.floatToF16(values[i]);
                }
                yield MemorySegment.ofArray(bits);
            }
            default -> throw new ShapeException("not a float dtype: " + dtype);
        };
    }

    static void decodeFloats(MemorySegment staging, DType dtype, float[] values) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(staging, ValueLayout.JAVA_FLOAT, 0, values, 0, values.length);
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = FloatFormats.bf16ToFloat(staging.getAtIndex(SHORT, i));
                }
            }
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = FloatFormats.f16ToFloat(staging.getAtIndex(SHORT, i));
                }
            }
            default -> throw new ShapeException("not a float dtype: " + dtype);
        }
    }
}
