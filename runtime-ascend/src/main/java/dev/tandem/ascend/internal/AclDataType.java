package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.runtime.DType;

/** The {@code aclDataType} values Tandem's dtypes map to; {@link #code()} is the C enum value. */
public enum AclDataType {
    FLOAT(AclRt.ACL_FLOAT()),
    FLOAT16(AclRt.ACL_FLOAT16()),
    BF16(AclRt.ACL_BF16()),
    INT8(AclRt.ACL_INT8()),
    INT32(AclRt.ACL_INT32()),
    INT64(AclRt.ACL_INT64()),
    UINT8(AclRt.ACL_UINT8()),
    BOOL(AclRt.ACL_BOOL());

    private final int code;

    AclDataType(int code) {
        this.code = code;
    }

    /** The value of the C enum. */
    public int code() {
        return code;
    }

    /** The aclDataType that stores {@code dtype}. */
    public static AclDataType of(DType dtype) {
        return switch (dtype) {
            case F32 -> FLOAT;
            case F16 -> FLOAT16;
            case BF16 -> BF16;
            case I8 -> INT8;
            case I32 -> INT32;
            case I64 -> INT64;
            case U8 -> UINT8;
            case BOOL -> BOOL;
        };
    }
}
