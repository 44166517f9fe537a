package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

/** {@code aclrtMemMallocPolicy}: the page size {@link Acl.Raw#malloc} asks for. */
public enum MallocPolicy {
    /** {@code ACL_MEM_MALLOC_HUGE_FIRST}: huge pages when available, else normal pages. */
    HUGE_FIRST(AclRt.ACL_MEM_MALLOC_HUGE_FIRST()),
    HUGE_ONLY(AclRt.ACL_MEM_MALLOC_HUGE_ONLY()),
    NORMAL_ONLY(AclRt.ACL_MEM_MALLOC_NORMAL_ONLY());

    private final int value;

    MallocPolicy(int value) {
        this.value = value;
    }

    /** The C enum value. */
    public int value() {
        return value;
    }
}
