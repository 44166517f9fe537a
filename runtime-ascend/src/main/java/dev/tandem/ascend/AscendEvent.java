package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.Check;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.spi.EventRules;
import dev.tandem.runtime.spi.Handle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
        int flags = Acl.ACL_EVENT_SYNC() | (timing ? Acl.ACL_EVENT_TIME_LINE() : 0);
        MemorySegment created;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Acl.aclrtCreateEventExWithFlag(out, flags);
            created = out.get(ValueLayout.ADDRESS, 0);
        }
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            Acl.aclrtQueryEventStatus(handle, status);
            return status.get(ValueLayout.JAVA_INT, 0) == Acl.ACL_EVENT_RECORDED_STATUS_COMPLETE();
        }
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ms = arena.allocate(ValueLayout.JAVA_FLOAT);
            Acl.aclrtEventElapsedTime(ms, s.handle, handle);
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
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
