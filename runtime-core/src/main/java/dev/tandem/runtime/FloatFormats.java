package dev.tandem.runtime;

/** Conversions between F32 and the 16-bit storage formats, with round-to-nearest-even. */
public final class FloatFormats {
    private FloatFormats() {
    }

    /**
     * Widens a BF16 value to F32 exactly.
     *
     * @param bits the BF16 bit pattern
     * @return the value as F32
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * Narrows an F32 value to BF16, rounding to nearest even.
     *
     * @param value the value
     * @return the BF16 bit pattern
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x007FFFFF) != 0) {
            return (short) ((bits >>> 16) | 0x0040); // keep NaN a quiet NaN
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /**
     * Widens an IEEE half-precision value to F32 exactly.
     *
     * @param bits the F16 bit pattern
     * @return the value as F32
     */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /**
     * Narrows an F32 value to IEEE half precision, rounding to nearest even.
     *
     * @param value the value
     * @return the F16 bit pattern
     */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /**
     * Rounds an F32 value to what {@code dtype} can store, returned as F32.
     *
     * @param dtype the storage type; types other than BF16 and F16 leave the value unchanged
     * @param value the value
     * @return the rounded value
     */
    public static float roundTo(DType dtype, float value) {
        return switch (dtype) {
            case BF16 -> bf16ToFloat(floatToBf16(value));
            case F16 -> f16ToFloat(floatToF16(value));
            default -> value;
        };
    }
}
