package dev.tandem.runtime;

/** Element types a {@link Tensor} can hold. Compute is F32; the narrow float types are storage formats. */
public enum DType {
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I8(1, false),
    I32(4, false),
    I64(8, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    public boolean isIndex() {
        return this == I32 || this == I64;
    }
}
