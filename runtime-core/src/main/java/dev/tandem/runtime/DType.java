package dev.tandem.runtime;

/** Element types a {@link Tensor} can hold. Compute is F32; the narrow float types are storage formats. */
public enum DType {
    /** IEEE 754 single precision. */
    F32(4, true),
    /** IEEE 754 half precision. */
    F16(2, true),
    /** bfloat16: the upper half of an F32. */
    BF16(2, true),
    /** Signed 8-bit integer. */
    I8(1, false),
    /** Signed 32-bit integer; also an index type. */
    I32(4, false),
    /** Signed 64-bit integer; also an index type. */
    I64(8, false),
    /** Unsigned 8-bit integer. */
    U8(1, false),
    /** Boolean, one byte per element. */
    BOOL(1, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /**
     * Storage size of one element.
     *
     * @return bytes per element
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Whether the type holds floating-point numbers.
     *
     * @return true for F32, F16 and BF16
     */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * Whether the type can hold indices (for index kernels and all-to-all-v counts).
     *
     * @return true for I32 and I64
     */
    public boolean isIndex() {
        return this == I32 || this == I64;
    }
}
