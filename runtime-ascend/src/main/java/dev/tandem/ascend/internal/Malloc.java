package dev.tandem.ascend.internal;

import java.lang.foreign.MemorySegment;

/**
 * What {@link Acl.Raw#malloc} returned: the C return code and, when it is 0, the device pointer (else
 * {@link MemorySegment#NULL}). Raw, because callers retry on out-of-memory before throwing.
 */
public record Malloc(int code, MemorySegment pointer) {
    /** Whether the code is one of the runtime's out-of-memory codes. */
    public boolean outOfMemory() {
        return Acl.isOutOfMemory(code);
    }
}
