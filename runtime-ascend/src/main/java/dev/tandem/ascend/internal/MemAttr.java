package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

/** {@code aclrtMemAttr}: which memory {@link Acl#getMemInfo} reports on. */
public enum MemAttr {
    DDR(AclRt.ACL_DDR_MEM()),
    HBM(AclRt.ACL_HBM_MEM()),
    HBM_HUGE(AclRt.ACL_HBM_MEM_HUGE()),
    HBM_NORMAL(AclRt.ACL_HBM_MEM_NORMAL());

    private final int value;

    MemAttr(int value) {
        this.value = value;
    }

    /** The C enum value. */
    public int value() {
        return value;
    }
}
