package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Frees that wait for device work. CANN forbids allocating, freeing, launching and synchronizing inside host
 * callbacks, so a stream-ordered free records a pooled event on the stream and this list runs the free on an
 * ordinary thread once the event has completed, polled at the next allocation or synchronize (as torch_npu's
 * caching allocator does). Work handed over from a callback thread waits here the same way, without an event.
 */
final class DeferredFrees {
    private record Pending(MemorySegment event, Runnable action) {
    }

    private final AscendDevice device;
    private final EventPool events;
    private final List<Pending> pending = new ArrayList<>();

    DeferredFrees(AscendDevice device, EventPool events) {
        this.device = device;
        this.events = events;
    }

    /** Runs {@code free} once {@code event} (a pooled event recorded after the last use) has completed. */
    synchronized void add(MemorySegment event, Runnable free) {
        pending.add(new Pending(event, free));
    }

    /** Runs {@code action} at the next {@link #reclaim} (used for work asked for on a callback thread). */
    synchronized void later(Runnable action) {
        pending.add(new Pending(null, action));
    }

    synchronized int size() {
        return pending.size();
    }

    /** Runs the actions whose events completed. Does nothing on a callback thread, where frees are forbidden. */
    void reclaim() {
        if (ReportThread.isCurrent()) {
            return;
        }
        List<Pending> ready = new ArrayList<>();
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            device.bind();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
                for (var it = pending.iterator(); it.hasNext(); ) {
                    Pending p = it.next();
                    if (p.event() == null || Acl.Raw.aclrtQueryEventStatus(p.event(), status) != 0
                            || status.get(ValueLayout.JAVA_INT, 0) == Acl.ACL_EVENT_RECORDED_STATUS_COMPLETE()) {
                        it.remove();
                        ready.add(p);
                    }
                }
            }
        }
        run(ready);
    }

    /** Waits for every pending event and runs every action (device close, or an allocation that ran out of memory). */
    void drain() {
        List<Pending> all;
        synchronized (this) {
            all = new ArrayList<>(pending);
            pending.clear();
        }
        device.bind();
        for (Pending p : all) {
            if (p.event() != null) {
                Acl.Raw.aclrtSynchronizeEvent(p.event());
            }
        }
        run(all);
    }

    private void run(List<Pending> ready) {
        RuntimeException first = null;
        for (Pending p : ready) {
            try {
                p.action().run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            } finally {
                if (p.event() != null) {
                    events.release(p.event());
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
