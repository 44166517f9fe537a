package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.Check;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Acl.aclrtMallocHost(out, bytes);
            return new PinnedHost(out.get(ValueLayout.ADDRESS, 0).reinterpret(bytes));
        }
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
