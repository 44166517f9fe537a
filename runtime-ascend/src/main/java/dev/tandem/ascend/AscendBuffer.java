package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.LeakReporter;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.OutOfRangeException;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Device memory from {@code aclrtMalloc} with a stream-ordered free: {@link #close()} makes the allocation stream
 * wait (through pooled events) for every other stream that used the buffer, records a pooled event after that, and
 * the device frees the memory once the event completed, polled on an ordinary thread ({@link DeferredFrees}). So
 * close never blocks, never frees memory that queued work still uses, and never frees from a host callback.
 */
public final class AscendBuffer implements DeviceBuffer {
    private final AscendDevice device;
    private final AscendStream allocationStream;
    private final long address;
    private final long byteSize;
    private final Set<AscendStream> users = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean freed = new AtomicBoolean();
    private final LeakTracker.Registration registration;

    AscendBuffer(AscendDevice device, AscendStream allocationStream, long address, long byteSize) {
        this.device = device;
        this.allocationStream = allocationStream;
        this.address = address;
        this.byteSize = byteSize;
        this.registration = LeakTracker.global().track("ascend buffer of " + byteSize + " bytes on device " + device.id());
        LeakReporter.watch(this, "ascend buffer of " + byteSize + " bytes on device " + device.id(), closed);
    }

    @Override
    public AscendDevice device() {
        return device;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public AscendStream allocationStream() {
        return allocationStream;
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("device buffer of " + byteSize + " bytes is closed (freed)");
        }
    }

    void checkRange(long offset, long bytes, String what) {
        ensureOpen();
        if (offset < 0 || bytes < 0 || offset > byteSize - bytes) {
            throw new OutOfRangeException(what + ": range [" + offset + ", " + offset + " + " + bytes
                    + ") is outside the buffer of " + byteSize + " bytes");
        }
    }

    /** The device address {@code offset} bytes into the buffer. */
    MemorySegment pointer(long offset) {
        ensureOpen();
        return MemorySegment.ofAddress(address + offset);
    }

    long address() {
        return address;
    }

    void markUsed(AscendStream stream) {
        if (stream != allocationStream) {
            users.add(stream);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        registration.release();
        device.forget(this);
        if (ReportThread.isCurrent()) {
            // Closed from a host callback: no launch is allowed here, so the ordered free is set up later.
            device.deferredFrees().later(this::releaseOrdered);
            return;
        }
        releaseOrdered();
    }

    private void releaseOrdered() {
        if (allocationStream.isOpen() && allocationStream.failure() == null && !device.isClosedForWork()) {
            try {
                for (AscendStream other : users) {
                    if (other.isOpen()) {
                        allocationStream.waitFor(other);
                    }
                }
                device.deferredFrees().add(allocationStream.recordPooled(), this::freeNow);
                return;
            } catch (RuntimeException e) {
                // fall through to a synchronous free
            }
        }
        for (AscendStream other : users) {
            if (other.isOpen()) {
                other.drainQuietly();
            }
        }
        if (allocationStream.isOpen()) {
            allocationStream.drainQuietly();
        }
        freeNow();
    }

    private void freeNow() {
        if (freed.compareAndSet(false, true)) {
            device.bind();
            Acl.aclrtFree(MemorySegment.ofAddress(address));
        }
    }

    @Override
    public String toString() {
        return "AscendBuffer[" + byteSize + " bytes on device " + device.id() + (closed.get() ? ", closed" : "") + "]";
    }
}
