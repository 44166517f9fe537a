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
    /**
     * System property that enables the global tracker at start-up when {@code true}.
     */
    public static final String PROPERTY = "tandem.leakTracking";

    private static final LeakTracker GLOBAL = new LeakTracker(Boolean.getBoolean(PROPERTY));

    private final Map<Long, Entry> live = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean enabled;

    private LeakTracker(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * The tracker every handle registers with.
     *
     * @return the process-wide tracker
     */
    public static LeakTracker global() {
        return GLOBAL;
    }

    /**
     * Whether handles created now are recorded.
     *
     * @return true while enabled
     */
    public boolean isEnabled() {
        return enabled;
    }

    /**
     * Starts recording handles created from now on.
     */
    public void enable() {
        enabled = true;
    }

    /**
     * Stops recording new handles; those already recorded stay until released or {@link #reset()}.
     */
    public void disable() {
        enabled = false;
    }

    /**
     * A live handle: what it is, and the stack that created it.
     *
     * @param description the handle's description, e.g. {@code stream 'main' on host:0}
     * @param creator     the thread that created the handle
     * @param createdAt   a throwable whose stack trace is where the handle was created
     */
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

        /**
         * Forgets the handle; does nothing for a handle created while tracking was off, or when called again.
         */
        public void release() {
            if (id >= 0) {
                live.remove(id);
            }
        }
    }

    /**
     * Called by backends when a handle is created.
     *
     * @param description what the handle is, for the report
     * @return the token to release when the handle closes
     */
    public Registration track(String description) {
        if (!enabled) {
            return new Registration(-1);
        }
        long id = ids.incrementAndGet();
        live.put(id, new Entry(description, Thread.currentThread(), new Throwable("created here")));
        return new Registration(id);
    }

    /**
     * Handles created while tracking was on and not closed yet.
     *
     * @return a new list of the live entries, in no particular order
     */
    public List<Entry> live() {
        return new ArrayList<>(live.values());
    }

    /** Forgets every live entry (use between tests after reporting). */
    public void reset() {
        live.clear();
    }

    /**
     * A readable report of {@link #live()}, or an empty string when nothing leaked.
     *
     * @return the report, one entry with its creation stack per handle
     */
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
