package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

/** Flags of {@code aclrtCreateStreamWithConfig}; {@link Acl#createStream} ORs them together. */
public enum StreamFlag {
    /** {@code ACL_STREAM_FAST_LAUNCH}: tasks are launched without per-task runtime bookkeeping. */
    FAST_LAUNCH(AclRt.ACL_STREAM_FAST_LAUNCH()),
    /** {@code ACL_STREAM_FAST_SYNC}: synchronizing the stream polls instead of sleeping. */
    FAST_SYNC(AclRt.ACL_STREAM_FAST_SYNC());

    private final int value;

    StreamFlag(int value) {
        this.value = value;
    }

    /** The C flag bit. */
    public int value() {
        return value;
    }
}
