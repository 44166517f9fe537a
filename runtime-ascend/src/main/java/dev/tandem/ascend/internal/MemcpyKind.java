package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

/** {@code aclrtMemcpyKind}: the direction of an {@link Acl#memcpyAsync} copy. */
public enum MemcpyKind {
    HOST_TO_HOST(AclRt.ACL_MEMCPY_HOST_TO_HOST()),
    HOST_TO_DEVICE(AclRt.ACL_MEMCPY_HOST_TO_DEVICE()),
    DEVICE_TO_HOST(AclRt.ACL_MEMCPY_DEVICE_TO_HOST()),
    DEVICE_TO_DEVICE(AclRt.ACL_MEMCPY_DEVICE_TO_DEVICE()),
    /** {@code ACL_MEMCPY_DEFAULT}: the runtime infers the direction from the pointers. */
    DEFAULT(AclRt.ACL_MEMCPY_DEFAULT());

    private final int value;

    MemcpyKind(int value) {
        this.value = value;
    }

    /** The C enum value. */
    public int value() {
        return value;
    }
}
