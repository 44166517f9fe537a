package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What the host kernels need from the host device: enqueueing validated work on a stream, and the memory behind
 * a buffer. Separates the kernel math from stream mechanics.
 */
public interface KernelLauncher {

    /**
     * Enqueues {@code work} on {@code stream} as operation {@code name}. {@code reads} and {@code writes} are
     * the tensors it touches: the launcher checks they belong to the stream's device and are open, and records
     * the use for stream-ordered frees.
     */
    void launch(Stream stream, String name, List<Tensor> reads, List<Tensor> writes, Runnable work);

    /** The memory behind a host buffer; only valid inside launched work. */
    MemorySegment segment(DeviceBuffer buffer);

    /** How many threads one kernel may split its work over (at least 1). */
    int computeThreads();

    /** Runs {@code tasks} ({@code count} of them, indexed 0..count-1) on up to {@link #computeThreads()} threads and waits. */
    void parallelFor(int count, java.util.function.IntConsumer task);
}
