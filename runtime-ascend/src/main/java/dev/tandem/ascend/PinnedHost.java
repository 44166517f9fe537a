package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/** Page-locked host memory from {@code aclrtMallocHost}, used to stage asynchronous copies. */
final class PinnedHost {
    private final MemorySegment segment;
    private final AtomicBoolean freed = new AtomicBoolean();

    private PinnedHost(MemorySegment segment) {
        this.segment = segment;
    }

    static PinnedHost allocate(AscendDevice device, long bytes) {
        device.bind();
        return new PinnedHost(Acl.aclrtMallocHost(bytes));
    }

    MemorySegment segment() {
        return segment;
    }

    void free() {
        if (freed.compareAndSet(false, true)) {
            Acl.aclrtFreeHost(segment);
        }
    }
}
