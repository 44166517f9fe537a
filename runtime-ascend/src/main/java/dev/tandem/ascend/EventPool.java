package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.EventFlag;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Reusable events for the backend's own ordering (waitStream, stream-ordered frees). They come from
 * {@code aclrtCreateEventExWithFlag}, the only kind CANN documents as re-recordable without a reset, and are kept
 * for the device's lifetime so that ordering work does not create one event per operation.
 */
final class EventPool {
    private final AscendDevice device;
    private final ArrayDeque<MemorySegment> idle = new ArrayDeque<>();
    private final List<MemorySegment> all = new ArrayList<>();

    EventPool(AscendDevice device) {
        this.device = device;
    }

    /** An idle pooled event (a new one when none is idle); give it back with {@link #release}. */
    MemorySegment acquire() {
        synchronized (this) {
            MemorySegment e = idle.poll();
            if (e != null) {
                return e;
            }
        }
        device.bind();
        MemorySegment e = Acl.createEvent(EventFlag.SYNC);
        synchronized (this) {
            all.add(e);
        }
        return e;
    }

    /**
     * Returns an event. Waits already enqueued on it keep the record they captured, so it may be recorded again at
     * once.
     */
    synchronized void release(MemorySegment event) {
        idle.push(event);
    }

    /** Events created so far (diagnostics and tests). */
    synchronized int created() {
        return all.size();
    }

    /** Destroys every pooled event; the device is closing and its streams have drained. Returns the first failure code. */
    int destroyAll() {
        List<MemorySegment> events;
        synchronized (this) {
            events = new ArrayList<>(all);
            all.clear();
            idle.clear();
        }
        int first = 0;
        for (MemorySegment e : events) {
            int rc = Acl.Raw.aclrtDestroyEvent(e);
            if (first == 0) {
                first = rc;
            }
        }
        return first;
    }
}
