package dev.tandem.runtime.trace;

import dev.tandem.runtime.StreamRole;

/**
 * One executed operation.
 *
 * @param device   device id
 * @param rank     communicator rank of the device, or -1 when the device is in no group
 * @param stream   stream name
 * @param role     stream role
 * @param name     operation name, e.g. {@code matmul} or {@code allToAllV}
 * @param tag      the stream's trace tag when the operation was enqueued (e.g. {@code mb0/L3/dispatch}), or null
 * @param startNanos start, {@link System#nanoTime()} clock
 * @param endNanos   end, same clock
 */
public record TraceSpan(int device, int rank, String stream, StreamRole role, String name, String tag,
                        long startNanos, long endNanos) {

    /**
     * How long the operation ran.
     *
     * @return {@code endNanos - startNanos}
     */
    public long durationNanos() {
        return endNanos - startNanos;
    }

    /**
     * True for spans that only wait (event waits, stream waits), which are not work.
     *
     * @return true when the operation name starts with {@code wait}
     */
    public boolean isWait() {
        return name.startsWith("wait");
    }
}
