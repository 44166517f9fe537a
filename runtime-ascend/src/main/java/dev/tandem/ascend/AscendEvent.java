package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.LeakReporter;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.StreamFailedException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An ACL event from {@code aclrtCreateEventExWithFlag} with {@code ACL_EVENT_SYNC} (so streams can wait on it), plus
 * {@code ACL_EVENT_TIME_LINE} for timing events. The Ex call is the one CANN documents as re-recordable without
 * {@code aclrtResetEvent} (and not limited by the device's SYNC event resource), which {@link dev.tandem.runtime.Stream#record}
 * semantics need. A never-recorded event is done and waiting on it does nothing (the wait is not issued).
 */
public final class AscendEvent implements Event {
    private final AscendDevice device;
    private final boolean timing;
    private final MemorySegment handle;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LeakTracker.Registration registration;
    private volatile AscendStream lastStream;

    AscendEvent(AscendDevice device, boolean timing) {
        this.device = device;
        this.timing = timing;
        int flags = Acl.ACL_EVENT_SYNC() | (timing ? Acl.ACL_EVENT_TIME_LINE() : 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Acl.aclrtCreateEventExWithFlag(out, flags);
            this.handle = out.get(ValueLayout.ADDRESS, 0);
        }
        this.registration = LeakTracker.global().track("ascend event on device " + device.id());
        LeakReporter.watch(this, "ascend event on device " + device.id(), closed);
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
        Objects.requireNonNull(start, "start");
        ensureOpen();
        if (!(start instanceof AscendEvent s) || s.device().runtime() != device.runtime()) {
            throw new IllegalStateException(start + " is not an event of this Ascend runtime");
        }
        s.ensureOpen();
        if (!timing || !s.timing) {
            throw new IllegalStateException("elapsedMillis needs two timing events (EventOptions.TIMING); "
                    + (!s.timing ? "the start event" : "this event") + " is not one");
        }
        if (!s.isRecorded() || !isRecorded()) {
            throw new IllegalStateException("elapsedMillis needs both events recorded; "
                    + (!s.isRecorded() ? "the start event" : "this event") + " was never recorded");
        }
        if (!s.isDone() || !isDone()) {
            throw new IllegalStateException("elapsedMillis needs both events done; "
                    + (!s.isDone() ? "the start event" : "this event") + " has not completed yet");
        }
        device.bind();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ms = arena.allocate(ValueLayout.JAVA_FLOAT);
            Acl.aclrtEventElapsedTime(ms, s.handle, handle);
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("event is closed");
        }
    }

    /** Destroying is asynchronous in ACL: waits already enqueued on streams keep their capture. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        device.bind();
        int rc = Acl.Raw.aclrtDestroyEvent(handle);
        device.forget(this);
        registration.release();
        Check.acl("aclrtDestroyEvent", rc);
    }
}
