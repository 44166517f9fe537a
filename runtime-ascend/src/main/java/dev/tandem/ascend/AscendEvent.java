package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.EventFlag;
import dev.tandem.ascend.internal.EventStatus;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.spi.EventRules;
import dev.tandem.runtime.spi.Handle;

import java.lang.foreign.MemorySegment;

/**
 * An ACL event from {@code aclrtCreateEventExWithFlag} with {@code ACL_EVENT_SYNC} (so streams can wait on it), plus
 * {@code ACL_EVENT_TIME_LINE} for timing events. The Ex call is the one CANN documents as re-recordable without
 * {@code aclrtResetEvent} (and not limited by the device's SYNC event resource), which {@link dev.tandem.runtime.Stream#record}
 * semantics need. A never-recorded event is done and waiting on it does nothing (the wait is not issued).
 */
public final class AscendEvent extends Handle implements Event {
    private final AscendDevice device;
    private final boolean timing;
    private final MemorySegment handle;
    private volatile AscendStream lastStream;

    AscendEvent(AscendDevice device, boolean timing) {
        MemorySegment created = timing
                ? Acl.createEvent(EventFlag.SYNC, EventFlag.TIME_LINE)
                : Acl.createEvent(EventFlag.SYNC);
        super("ascend event on device " + device.id());
        this.device = device;
        this.timing = timing;
        this.handle = created;
    }

    MemorySegment handle() {
        return handle;
    }

    AscendStream lastStream() {
        return lastStream;
    }

    boolean isRecorded() {
        return lastStream != null;
    }

    /** Called by {@link AscendStream#record(Event)} under the stream's enqueue lock. */
    void recordOn(AscendStream stream) {
        ensureOpen();
        Acl.aclrtRecordEvent(handle, stream.handle());
        lastStream = stream;
    }

    @Override
    public AscendDevice device() {
        return device;
    }

    @Override
    public boolean isTiming() {
        return timing;
    }

    @Override
    public boolean isDone() {
        ensureOpen();
        if (lastStream == null) {
            return true;
        }
        device.bind();
        return Acl.queryEventStatus(handle) == EventStatus.COMPLETE;
    }

    @Override
    public void synchronize() {
        ensureOpen();
        AscendStream s = lastStream;
        if (s == null) {
            return;
        }
        device.bind();
        int rc = Acl.Raw.aclrtSynchronizeEvent(handle);
        if (rc != 0) {
            if (s.isOpen()) {
                try {
                    s.synchronize();
                } catch (StreamFailedException e) {
                    throw e;
                }
            }
            throw Check.aclError("aclrtSynchronizeEvent", rc);
        }
        StreamFailedException f = s.failure();
        if (f != null) {
            throw f;
        }
    }

    @Override
    public float elapsedMillis(Event start) {
        EventRules.checkElapsed(this, start, e -> ((AscendEvent) e).isRecorded());
        AscendEvent s = (AscendEvent) start;
        device.bind();
        return Acl.eventElapsedTime(s.handle, handle);
    }

    void ensureOpen() {
        ensureOpen("event");
    }

    /** Destroying is asynchronous in ACL: waits already enqueued on streams keep their capture. Idempotent. */
    @Override
    protected void release() {
        device.bind();
        int rc = Acl.Raw.aclrtDestroyEvent(handle);
        device.forget(this);
        Check.acl("aclrtDestroyEvent", rc);
    }
}
