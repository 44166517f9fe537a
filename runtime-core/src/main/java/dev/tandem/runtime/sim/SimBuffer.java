package dev.tandem.runtime.sim;

import dev.tandem.runtime.DeviceBuffer;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/** Simulated device memory: a size, and real bytes only when it is small (see {@link SimSettings#dataBytesLimit()}). */
final class SimBuffer implements DeviceBuffer {
    private final SimDevice device;
    private final SimStream allocationStream;
    private final long bytes;
    private final boolean withData;
    private MemorySegment data;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Neighbours in the device's list of open buffers (guarded by the runtime lock): O(1) insert and removal. */
    SimBuffer previous;
    SimBuffer next;

    SimBuffer(SimDevice device, SimStream allocationStream, long bytes, boolean withData) {
        this.device = device;
        this.allocationStream = allocationStream;
        this.bytes = bytes;
        this.withData = withData;
    }

    @Override
    public SimDevice device() {
        return device;
    }

    @Override
    public long byteSize() {
        return bytes;
    }

    @Override
    public SimStream allocationStream() {
        return allocationStream;
    }

    /** The bytes once something was written to them, or null (shape-only, or never written). */
    MemorySegment data() {
        return data;
    }

    /** The bytes, allocated (zeroed) on first write; null for a shape-only buffer. Runtime lock held. */
    MemorySegment writableData() {
        if (data == null && withData) {
            // heap memory: nothing native to clean up, and no kernel reads it through an address
            data = MemorySegment.ofArray(new long[(int) ((bytes + 7) / 8)]).asSlice(0, bytes);
        }
        return data;
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    void checkOpen(String operation) {
        if (closed.get()) {
            throw new IllegalStateException(operation + ": buffer of " + bytes + " bytes on " + device.name()
                    + " has been freed");
        }
    }

    /** Frees at once: a simulated buffer holds no memory any stream could still be using. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            device.release(this);
        }
    }

    @Override
    public String toString() {
        return "SimBuffer[" + bytes + " bytes on " + device.name() + "]";
    }
}
