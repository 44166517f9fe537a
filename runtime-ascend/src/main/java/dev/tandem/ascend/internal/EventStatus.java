package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

/** {@code aclrtEventRecordedStatus}: what {@link Acl#queryEventStatus} found. */
public enum EventStatus {
    /** {@code ACL_EVENT_RECORDED_STATUS_NOT_READY}: the recorded work has not finished. */
    NOT_READY,
    /** {@code ACL_EVENT_RECORDED_STATUS_COMPLETE}: everything before the record has finished. */
    COMPLETE;

    static EventStatus of(int status) {
        return status == AclRt.ACL_EVENT_RECORDED_STATUS_COMPLETE() ? COMPLETE : NOT_READY;
    }
}
