package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.spi.Handle;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Host memory standing in for device memory. It remembers the last position of every stream that used it, so
 * that its free, ordered on the allocation stream, first waits for those uses.
 */
final class HostBuffer extends Handle implements DeviceBuffer {
    private final HostDevice device;
    private final HostStream allocationStream;
    private final long bytes;
    private final HostMemoryCache.Block block;
    private final MemorySegment segment;
    private final Map<HostStream, Long> lastUse = new ConcurrentHashMap<>();

    HostBuffer(HostDevice device, HostStream allocationStream, long bytes, HostMemoryCache.Block block) {
        super(bytes + "-byte buffer on " + device.name());
        this.device = device;
        this.allocationStream = allocationStream;
        this.bytes = bytes;
        this.block = block;
        this.segment = block.segment().asSlice(0, bytes);
    }

    @Override
    public HostDevice device() {
        return device;
    }

    @Override
    public long byteSize() {
        return bytes;
    }

    @Override
    public HostStream allocationStream() {
        return allocationStream;
    }

    MemorySegment segment() {
        return segment;
    }

    void checkOpen(String operation) {
        ensureOpen(operation);
    }

    /** Records that {@code stream} uses this buffer at {@code position} (called under the stream's enqueue lock). */
    void usedOn(HostStream stream, long position) {
        lastUse.merge(stream, position, Math::max);
    }

    @Override
    protected void release() {
        // Stream-ordered free without blocking any stream: the memory goes back once the allocation stream has
        // reached this point and every other stream has passed its last use of the buffer.
        Map<HostStream, Long> waits = new HashMap<>(lastUse);
        waits.merge(allocationStream, allocationStream.position(), Math::max);
        AtomicInteger pending = new AtomicInteger(waits.size());
        Runnable free = () -> device.release(bytes, block);
        Runnable release = () -> {
            try {
                device.releaser().execute(free);
            } catch (RejectedExecutionException e) {
                free.run();   // the owning device is closing and its releaser has stopped: free here
            }
        };
        for (var use : waits.entrySet()) {
            use.getKey().whenReached(use.getValue(), () -> {
                if (pending.decrementAndGet() == 0) {
                    release.run();
                }
            });
        }
        device.forget(this);
    }

    @Override
    public String toString() {
        return "HostBuffer[" + bytes + " bytes on " + device.name() + "]";
    }
}
