package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

/** Flags of {@code aclrtCreateEventExWithFlag}; {@link Acl#createEvent} ORs them together. */
public enum EventFlag {
    /** {@code ACL_EVENT_SYNC}: streams can wait on the event. */
    SYNC(AclRt.ACL_EVENT_SYNC()),
    /** {@code ACL_EVENT_TIME_LINE}: the event records a timestamp for elapsed-time queries. */
    TIME_LINE(AclRt.ACL_EVENT_TIME_LINE());

    private final int value;

    EventFlag(int value) {
        this.value = value;
    }

    /** The C flag bit. */
    public int value() {
        return value;
    }
}
