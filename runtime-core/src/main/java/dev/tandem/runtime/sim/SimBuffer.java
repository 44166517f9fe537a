package dev.tandem.runtime.sim;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.spi.Handle;

import java.lang.foreign.MemorySegment;

/** Simulated device memory: a size, and real bytes only when it is small (see {@link SimSettings#dataBytesLimit()}). */
final class SimBuffer extends Handle implements DeviceBuffer {
    private final SimDevice device;
    private final SimStream allocationStream;
    private final long bytes;
    private final boolean withData;
    private MemorySegment data;
    /** Neighbours in the device's list of open buffers (guarded by the runtime lock): O(1) insert and removal. */
    SimBuffer previous;
    SimBuffer next;

    SimBuffer(SimDevice device, SimStream allocationStream, long bytes, boolean withData) {
        super(bytes + "-byte sim buffer on " + device.name());
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

    /**
     * The bytes, allocated (zeroed) on first use whatever the size limit: for the outputs of gathers whose inputs
     * all carry data. The count exchange of an MoE layer grows with the group (256 experts x 256 ranks x 4 bytes is
     * 256 KiB), and a shape-only output there would read as zero tokens routed. Runtime lock held.
     */
    MemorySegment gatheredData() {
        if (data == null) {
            data = MemorySegment.ofArray(new long[Math.toIntExact((bytes + 7) / 8)]).asSlice(0, bytes);
        }
        return data;
    }

    void checkOpen(String operation) {
        ensureOpen(operation);
    }

    /** Frees at once: a simulated buffer holds no memory any stream could still be using. */
    @Override
    protected void release() {
        device.release(this);
    }

    @Override
    public String toString() {
        return "SimBuffer[" + bytes + " bytes on " + device.name() + "]";
    }
}
