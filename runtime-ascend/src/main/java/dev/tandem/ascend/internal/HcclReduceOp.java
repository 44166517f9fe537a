package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.hccl.Hccl;

/** {@code HcclReduceOp}: how the reducing collectives in {@link Hc} combine ranks' elements. */
public enum HcclReduceOp {
    SUM(Hccl.HCCL_REDUCE_SUM()),
    PROD(Hccl.HCCL_REDUCE_PROD()),
    MAX(Hccl.HCCL_REDUCE_MAX()),
    MIN(Hccl.HCCL_REDUCE_MIN());

    private final int value;

    HcclReduceOp(int value) {
        this.value = value;
    }

    /** The C enum value. */
    public int value() {
        return value;
    }
}
