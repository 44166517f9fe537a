package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.FloatFormats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads and writes runs of contiguous elements of any dtype as float or long, for the collectives. */
final class ElementCodec {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private ElementCodec() {
    }

    static float[] readFloats(MemorySegment segment, long byteOffset, int count, DType dtype) {
        float[] out = new float[count];
        switch (dtype) {
            case F32 -> MemorySegment.copy(segment, F32, byteOffset, out, 0, count);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = FloatFormats.bf16ToFloat(segment.get(I16, byteOffset + 2L * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = FloatFormats.f16ToFloat(segment.get(I16, byteOffset + 2L * i));
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
        return out;
    }

    static void writeFloats(MemorySegment segment, long byteOffset, float[] values, DType dtype) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(values, 0, segment, F32, byteOffset, values.length);
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    segment.set(I16, byteOffset + 2L * i, FloatFormats.floatToBf16(values[i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    segment.set(I16, byteOffset + 2L * i, FloatFormats.floatToF16(values[i]));
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }

    static long[] readLongs(MemorySegment segment, long byteOffset, int count, DType dtype) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = switch (dtype) {
                case I64 -> segment.get(I64, byteOffset + 8L * i);
                case I32 -> segment.get(I32, byteOffset + 4L * i);
                case I8 -> segment.get(ValueLayout.JAVA_BYTE, byteOffset + i);
                case U8, BOOL -> segment.get(ValueLayout.JAVA_BYTE, byteOffset + i) & 0xFF;
                default -> throw new IllegalArgumentException("not an integer dtype: " + dtype);
            };
        }
        return out;
    }

    static void writeLongs(MemorySegment segment, long byteOffset, long[] values, DType dtype) {
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case I64 -> segment.set(I64, byteOffset + 8L * i, values[i]);
                case I32 -> segment.set(I32, byteOffset + 4L * i, (int) values[i]);
                case I8, U8 -> segment.set(ValueLayout.JAVA_BYTE, byteOffset + i, (byte) values[i]);
                case BOOL -> segment.set(ValueLayout.JAVA_BYTE, byteOffset + i, (byte) (values[i] != 0 ? 1 : 0));
                default -> throw new IllegalArgumentException("not an integer dtype: " + dtype);
            }
        }
    }
}
