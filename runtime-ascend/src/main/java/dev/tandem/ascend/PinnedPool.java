package dev.tandem.ascend;

import dev.tandem.runtime.DeviceOutOfMemoryException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Pinned staging memory for asynchronous host copies, reused instead of {@code aclrtMallocHost}/{@code aclrtFreeHost}
 * per copy. Blocks come in power-of-two sizes. {@link #release} makes no native call, so stream callbacks may give
 * blocks back; surplus blocks are freed later on an ordinary thread.
 */
final class PinnedPool {
    private static final long MIN_BLOCK = 4096;
    /** Idle staging memory kept for reuse; more than this is freed at the next acquire. */
    private static final long KEEP_BYTES = 256L << 20;

    private final AscendDevice device;
    private final Map<Long, ArrayDeque<PinnedHost>> idle = new HashMap<>();
    private final ConcurrentLinkedQueue<PinnedHost> returned = new ConcurrentLinkedQueue<>();
    private final List<PinnedHost> all = new ArrayList<>();
    private long idleBytes;

    PinnedPool(AscendDevice device) {
        this.device = device;
    }

    /** A block of at least {@code bytes} pinned bytes. */
    PinnedHost acquire(long bytes) {
        long size = Math.max(MIN_BLOCK, Long.highestOneBit(Math.max(1, bytes - 1)) << 1);
        synchronized (this) {
            collectReturned();
            ArrayDeque<PinnedHost> q = idle.get(size);
            if (q != null && !q.isEmpty()) {
                idleBytes -= size;
                return q.pop();
            }
        }
        PinnedHost block;
        try {
            block = PinnedHost.allocate(device, size);
        } catch (RuntimeException e) {
            trim(0);
            try {
                block = PinnedHost.allocate(device, size);
            } catch (RuntimeException again) {
                throw new DeviceOutOfMemoryException("cannot pin " + size + " bytes of host memory for staging", again);
            }
        }
        synchronized (this) {
            all.add(block);
        }
        return block;
    }

    /** Gives a block back; safe on a callback thread (no native call). */
    void release(PinnedHost block) {
        returned.add(block);
    }

    private void collectReturned() {
        for (PinnedHost b; (b = returned.poll()) != null; ) {
            idle.computeIfAbsent(b.segment().byteSize(), k -> new ArrayDeque<>()).push(b);
            idleBytes += b.segment().byteSize();
        }
        if (idleBytes > KEEP_BYTES) {
            trimLocked(KEEP_BYTES / 2);
        }
    }

    private synchronized void trim(long keep) {
        collectReturned();
        trimLocked(keep);
    }

    private void trimLocked(long keep) {
        for (ArrayDeque<PinnedHost> q : idle.values()) {
            while (idleBytes > keep && !q.isEmpty()) {
                PinnedHost b = q.pop();
                idleBytes -= b.segment().byteSize();
                all.remove(b);
                b.free();
            }
        }
    }

    /** Frees every block, lent or idle; the device is closing and its streams have drained. */
    synchronized void close() {
        for (PinnedHost b : all) {
            b.free();
        }
        all.clear();
        idle.clear();
        returned.clear();
        idleBytes = 0;
    }
}
