package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.hccl.Hccl;

/** {@code HcclDataType}: the element types the collectives in {@link Hc} move. */
public enum HcclDataType {
    INT8(Hccl.HCCL_DATA_TYPE_INT8()),
    INT16(Hccl.HCCL_DATA_TYPE_INT16()),
    INT32(Hccl.HCCL_DATA_TYPE_INT32()),
    INT64(Hccl.HCCL_DATA_TYPE_INT64()),
    UINT8(Hccl.HCCL_DATA_TYPE_UINT8()),
    FP16(Hccl.HCCL_DATA_TYPE_FP16()),
    FP32(Hccl.HCCL_DATA_TYPE_FP32()),
    BFP16(Hccl.HCCL_DATA_TYPE_BFP16());

    private final int value;

    HcclDataType(int value) {
        this.value = value;
    }

    /** The C enum value. */
    public int value() {
        return value;
    }
}
