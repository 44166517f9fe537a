package dev.tandem.runtime.trace;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Collects {@link TraceSpan}s from every stream of a runtime while enabled. Thread-safe. */
public final class Tracer {
    private final ConcurrentLinkedQueue<TraceSpan> spans = new ConcurrentLinkedQueue<>();
    private volatile boolean enabled;

    /**
     * Creates a tracer with no spans.
     *
     * @param enabled whether spans are recorded from the start
     */
    public Tracer(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * Whether {@link #record(TraceSpan)} currently keeps spans.
     *
     * @return true while enabled
     */
    public boolean isEnabled() {
        return enabled;
    }

    /** Starts recording spans; those already recorded are kept. */
    public void enable() {
        enabled = true;
    }

    /** Stops recording spans; those already recorded are kept. */
    public void disable() {
        enabled = false;
    }

    /**
     * Called by backends when an operation finishes; keeps the span only while enabled.
     *
     * @param span the finished operation
     */
    public void record(TraceSpan span) {
        if (enabled) {
            spans.add(span);
        }
    }

    /**
     * A snapshot of the spans recorded so far, in completion order.
     *
     * @return a new list; spans recorded later are not added to it
     */
    public List<TraceSpan> spans() {
        return new ArrayList<>(spans);
    }

    /** Drops every recorded span. */
    public void clear() {
        spans.clear();
    }

    /**
     * Writes the recorded spans as Chrome trace-event JSON (opens in Perfetto and chrome://tracing).
     *
     * @param file the file to write, replaced if it exists; missing parent directories are created
     * @throws IOException if the file cannot be written
     */
    public void writeChromeTrace(Path file) throws IOException {
        ChromeTrace.write(spans(), file);
    }
}
