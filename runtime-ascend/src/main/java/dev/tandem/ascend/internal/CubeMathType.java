package dev.tandem.ascend.internal;

/** aclnnMatmul's {@code cubeMathType}: how the cube unit may compute (values from the aclnnMatmul page). */
public enum CubeMathType {
    /** Compute in the input dtype. */
    KEEP_DTYPE(0),
    /** FLOAT inputs may compute in HFLOAT32 on Atlas A2. */
    ALLOW_FP32_DOWN_PRECISION(1),
    /** FLOAT inputs compute in FLOAT16. */
    USE_FP16(2),
    /** FLOAT inputs compute in HFLOAT32. */
    USE_HF32(3);

    private final byte code;

    CubeMathType(int code) {
        this.code = (byte) code;
    }

    /** The int8_t passed to aclnn. */
    public byte code() {
        return code;
    }
}
