package dev.tandem.deepseek.weights;

/** Element types of the safetensors format that Tandem reads and writes. */
public enum StDType {
    F64(8), F32(4), F16(2), BF16(2), F8_E4M3(1), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int byteSize;

    StDType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The dtype with this safetensors name, or null. */
    public static StDType byName(String name) {
        for (StDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
