package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

/** {@code aclrtStreamStatus}: what {@link Acl#queryStream} found. */
public enum StreamStatus {
    /** {@code ACL_STREAM_STATUS_COMPLETE}: every task on the stream has finished. */
    COMPLETE,
    /** {@code ACL_STREAM_STATUS_NOT_READY} (or any other value): work is still pending. */
    NOT_READY;

    static StreamStatus of(int status) {
        return status == AclRt.ACL_STREAM_STATUS_COMPLETE() ? COMPLETE : NOT_READY;
    }
}
