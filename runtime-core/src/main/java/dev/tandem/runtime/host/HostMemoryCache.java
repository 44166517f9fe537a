package dev.tandem.runtime.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Freed device memory kept for reuse, as an accelerator runtime's caching allocator keeps it. A decoder layer
 * allocates and frees hundreds of temporaries per forward; giving each back to the system costs a shared arena's
 * close (a handshake that stops every Java thread, the other devices' compute threads included), a fresh mapping
 * and its page faults on first touch. Measured on the main job, those costs made the host's kernels run about a
 * third slower under dual-batch overlap than in the same shapes alone.
 *
 * <p>Blocks come in size classes of at most 12.5% waste (eight per power of two, at least 512 bytes) and are reused
 * last-in first-out, so the most recently touched memory comes back first. A new block that would make the memory
 * held (in use and cached) exceed the device's capacity trims the cache first.
 */
final class HostMemoryCache {
    private static final long SMALLEST = 512;

    /** One allocation from the system, reused whole. */
    record Block(Arena arena, MemorySegment segment) {
        long size() {
            return segment.byteSize();
        }
    }

    private final Map<Long, ConcurrentLinkedDeque<Block>> free = new ConcurrentHashMap<>();
    private final AtomicLong cachedBytes = new AtomicLong();
    /** Bytes of every block taken from the system and not yet returned: in use or cached. */
    private final AtomicLong heldBytes = new AtomicLong();
    private volatile boolean closed;

    /**
     * The size class of {@code bytes}: the next multiple of an eighth of the power of two below it.
     *
     * @param bytes a positive size
     * @return the block size that serves it
     */
    static long sizeClass(long bytes) {
        if (bytes <= SMALLEST) {
            return SMALLEST;
        }
        long step = Long.highestOneBit(bytes - 1) >>> 3;
        return (bytes + step - 1) & -step;
    }

    /**
     * A zeroed block of at least {@code bytes} (every buffer starts zeroed, reused or not): a cached one of its
     * class, else a new one, after trimming the cache when the memory held plus the new block would exceed
     * {@code capacity}.
     */
    Block take(long bytes, long capacity) {
        long size = sizeClass(bytes);
        ConcurrentLinkedDeque<Block> blocks = free.get(size);
        Block block = blocks == null ? null : blocks.pollFirst();
        if (block != null) {
            cachedBytes.addAndGet(-size);
            block.segment().fill((byte) 0);
            return block;
        }
        if (heldBytes.get() + size > capacity) {
            trim();
        }
        Arena arena = Arena.ofShared();
        try {
            Block fresh = new Block(arena, arena.allocate(size, 64));
            heldBytes.addAndGet(size);
            return fresh;
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /** Keeps {@code block} for reuse; its last use has finished on every stream. After {@link #close}, frees it. */
    void give(Block block) {
        free.computeIfAbsent(block.size(), s -> new ConcurrentLinkedDeque<>()).addFirst(block);
        cachedBytes.addAndGet(block.size());
        if (closed) {
            trim();   // a free that arrives while the device closes: nothing will reuse it
        }
    }

    /** Bytes held for reuse. */
    long cachedBytes() {
        return cachedBytes.get();
    }

    /** Returns every cached block to the system, now and whenever one is given back later (the device closed). */
    void close() {
        closed = true;
        trim();
    }

    /** Returns every cached block to the system. */
    void trim() {
        List<Block> closing = new ArrayList<>();
        for (ConcurrentLinkedDeque<Block> blocks : free.values()) {
            for (Block b; (b = blocks.pollFirst()) != null; ) {
                cachedBytes.addAndGet(-b.size());
                heldBytes.addAndGet(-b.size());
                closing.add(b);
            }
        }
        closing.forEach(b -> b.arena().close());
    }
}
