package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.LeakTracker;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Host memory standing in for device memory. It remembers the last position of every stream that used it, so
 * that its free, ordered on the allocation stream, first waits for those uses.
 */
final class HostBuffer implements DeviceBuffer {
    private final HostDevice device;
    private final HostStream allocationStream;
    private final long bytes;
    private final Arena arena;
    private final MemorySegment segment;
    private final Map<HostStream, Long> lastUse = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LeakTracker.Registration registration;

    HostBuffer(HostDevice device, HostStream allocationStream, long bytes) {
        this.device = device;
        this.allocationStream = allocationStream;
        this.bytes = bytes;
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(bytes, 64);
        this.registration = LeakTracker.global().track(bytes + "-byte buffer on " + device.name());
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

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    MemorySegment segment() {
        return segment;
    }

    void checkOpen(String operation) {
        if (closed.get()) {
            throw new IllegalStateException(operation + ": buffer of " + bytes + " bytes on " + device.name()
                    + " has been freed");
        }
    }

    /** Records that {@code stream} uses this buffer at {@code position} (called under the stream's enqueue lock). */
    void usedOn(HostStream stream, long position) {
        lastUse.merge(stream, position, Math::max);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Stream-ordered free without blocking any stream: the memory goes back once the allocation stream has
        // reached this point and every other stream has passed its last use of the buffer.
        Map<HostStream, Long> waits = new java.util.HashMap<>(lastUse);
        waits.merge(allocationStream, allocationStream.position(), Math::max);
        java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger(waits.size());
        Runnable free = () -> {
            arena.close();
            device.release(bytes);
        };
        Runnable release = () -> {
            try {
                device.releaser().execute(free);
            } catch (java.util.concurrent.RejectedExecutionException e) {
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
        registration.release();
    }

    @Override
    public String toString() {
        return "HostBuffer[" + bytes + " bytes on " + device.name() + "]";
    }
}
