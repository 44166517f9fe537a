package dev.tandem.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opt-in record of every open handle (runtime, device, stream, event, buffer, communicator) and where it was
 * created, so that handles never closed can be reported. Enabled with {@code -Dtandem.leakTracking=true} or
 * {@link #enable()}; tests turn it on and expect zero live handles after each test. It only reports: it never
 * frees anything.
 */
public final class LeakTracker {
    public static final String PROPERTY = "tandem.leakTracking";

    private static final LeakTracker GLOBAL = new LeakTracker(Boolean.getBoolean(PROPERTY));

    private final Map<Long, Entry> live = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean enabled;

    private LeakTracker(boolean enabled) {
        this.enabled = enabled;
    }

    public static LeakTracker global() {
        return GLOBAL;
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

    /** A live handle: what it is, and the stack that created it. */
    public record Entry(String description, Thread creator, Throwable createdAt) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(description).append(" created by ").append(creator.getName());
            for (StackTraceElement e : createdAt.getStackTrace()) {
                sb.append("\n    at ").append(e);
            }
            return sb.toString();
        }
    }

    /** Registration token; {@link #release()} when the handle closes. Idempotent. */
    public final class Registration {
        private final long id;

        private Registration(long id) {
            this.id = id;
        }

        public void release() {
            if (id >= 0) {
                live.remove(id);
            }
        }
    }

    /** Called by backends when a handle is created. */
    public Registration track(String description) {
        if (!enabled) {
            return new Registration(-1);
        }
        long id = ids.incrementAndGet();
        live.put(id, new Entry(description, Thread.currentThread(), new Throwable("created here")));
        return new Registration(id);
    }

    /** Handles created while tracking was on and not closed yet. */
    public List<Entry> live() {
        return new ArrayList<>(live.values());
    }

    /** Forgets every live entry (use between tests after reporting). */
    public void reset() {
        live.clear();
    }

    /** A readable report of {@link #live()}, or an empty string when nothing leaked. */
    public String report() {
        List<Entry> entries = live();
        if (entries.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(entries.size() + " handle(s) never closed:");
        for (Entry e : entries) {
            sb.append("\n  ").append(e);
        }
        return sb.toString();
    }
}
