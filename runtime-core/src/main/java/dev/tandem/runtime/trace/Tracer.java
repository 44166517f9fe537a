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

    public Tracer(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void enable() {
        enabled = true;
    }

    public void disable() {
        enabled = false;
    }

    /** Called by backends when an operation finishes. */
    public void record(TraceSpan span) {
        if (enabled) {
            spans.add(span);
        }
    }

    /** A snapshot of the spans recorded so far, in completion order. */
    public List<TraceSpan> spans() {
        return new ArrayList<>(spans);
    }

    public void clear() {
        spans.clear();
    }

    /** Writes the recorded spans as Chrome trace-event JSON (opens in Perfetto and chrome://tracing). */
    public void writeChromeTrace(Path file) throws IOException {
        ChromeTrace.write(spans(), file);
    }
}
