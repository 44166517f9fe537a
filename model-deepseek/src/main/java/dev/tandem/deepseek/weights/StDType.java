package dev.tandem.deepseek.weights;

/** Element types of the safetensors format that Tandem reads and writes. */
public enum StDType {
    /** IEEE 754 double, 8 bytes. */
    F64(8),
    /** IEEE 754 single, 4 bytes. */
    F32(4),
    /** IEEE 754 half, 2 bytes. */
    F16(2),
    /** bfloat16, 2 bytes. */
    BF16(2),
    /** FP8 E4M3 (4 exponent, 3 mantissa bits), 1 byte. */
    F8_E4M3(1),
    /** Signed 64-bit integer. */
    I64(8),
    /** Signed 32-bit integer. */
    I32(4),
    /** Signed 16-bit integer. */
    I16(2),
    /** Signed 8-bit integer. */
    I8(1),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Boolean, 1 byte. */
    BOOL(1);

    private final int byteSize;

    StDType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** {@return bytes per element} */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The dtype with this safetensors name, or null.
     *
     * @param name the safetensors dtype name, e.g. {@code BF16}
     * @return the dtype, or null if the name is unknown
     */
    public static StDType byName(String name) {
        for (StDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
