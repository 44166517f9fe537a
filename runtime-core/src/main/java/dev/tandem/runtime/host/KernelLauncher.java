package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.IntConsumer;

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

    /**
     * Enqueues fused attention as {@link #launch} does. Its cost depends on more than its tensors' shapes: the
     * causal mask ({@code causalOffset}, -1 for none) hides part of its (query, key) pairs, which a kernel skips, so
     * a launcher that costs work instead of running it (the simulated backend) needs the offset.
     */
    default void launchAttention(Stream stream, List<Tensor> reads, List<Tensor> writes, long causalOffset,
                                 Runnable work) {
        launch(stream, "attention", reads, writes, work);
    }

    /**
     * Enqueues a decode step's attention over a batch of sequences as {@link #launch} does, with its parts named:
     * one query per sequence ({@code q [h, B, d]}, {@code qRope} or null) over that sequence's keys, rotary keys
     * (or null) and values, into {@code out}. A launcher that costs work instead of running it needs each
     * sequence's own length.
     */
    default void launchDecodeAttention(Stream stream, Tensor q, Tensor qRope, List<Tensor> keys, List<Tensor> kRopes,
                                       List<Tensor> values, Tensor out, Runnable work) {
        launch(stream, "decodeAttention", decodeAttentionReads(q, qRope, keys, kRopes, values), List.of(out), work);
    }

    /** Every tensor a decode attention reads: the queries, their rotary part and each sequence's keys and values. */
    static List<Tensor> decodeAttentionReads(Tensor q, Tensor qRope, List<Tensor> keys, List<Tensor> kRopes,
                                             List<Tensor> values) {
        List<Tensor> reads = new java.util.ArrayList<>(2 + keys.size() + values.size()
                + (kRopes == null ? 0 : kRopes.size()));
        reads.add(q);
        if (qRope != null) {
            reads.add(qRope);
            reads.addAll(kRopes);
        }
        reads.addAll(keys);
        reads.addAll(values);
        return reads;
    }

    /** The memory behind a host buffer; only valid inside launched work. */
    MemorySegment segment(DeviceBuffer buffer);

    /** How many threads one kernel may split its work over (at least 1). */
    int computeThreads();

    /** Runs {@code tasks} ({@code count} of them, indexed 0..count-1) on up to {@link #computeThreads()} threads and waits. */
    void parallelFor(int count, IntConsumer task);
}
