package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.MemcpyKind;
import dev.tandem.ascend.internal.StreamFlag;
import dev.tandem.ascend.internal.StreamStatus;
import dev.tandem.ascend.internal.Callbacks;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.Hc;
import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.CollectiveTimeoutException;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.StreamTimeoutException;
import dev.tandem.runtime.WaitInterruptedException;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.spi.StreamHandle;
import dev.tandem.runtime.trace.TraceSpan;
import dev.tandem.runtime.trace.Tracer;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;

/**
 * An ACL stream. Host memory for asynchronous copies is staged through the device's pinned pool; a stream-ordered
 * callback gives the block back once the copy has run (no native call, which CANN forbids in callbacks). A failure
 * seen at synchronize (or raised by a host callback) is sticky, and it is classified by code: collective failures
 * by {@code HcclGetCommAsyncError} of the communicators that launched on this stream.
 */
public final class AscendStream extends StreamHandle {
    /** How long one slice of a blocking synchronize waits before it checks for an interrupt. */
    private static final int INTERRUPT_POLL_MILLIS = 50;

    private final AscendDevice device;
    private final MemorySegment handle;
    private final ReportThread reports;
    private final long subscribedThread;
    /** Streams whose events this stream waited on: their failures reach this stream too. */
    private final java.util.Set<AscendStream> upstream = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Communicators that launched on this stream: asked for their asynchronous error when the stream fails. */
    private final java.util.Set<HcclCommunicator> collectives = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Object enqueueLock = new Object();
    private volatile StreamFailedException failure;
    /** This stream's operator workspace: ops on one stream run in order, so one growing buffer serves them all. */
    private AscendBuffer workspace;

    AscendStream(AscendDevice device, StreamOptions options) {
        int priority = Math.clamp(-options.priority(), 0, 7);
        MemorySegment created = Acl.createStream(priority, StreamFlag.FAST_LAUNCH, StreamFlag.FAST_SYNC);
        super("ascend stream '" + options.name() + "' on device " + device.id(), options);
        this.device = device;
        this.handle = created;
        this.reports = new ReportThread(device, options.name(), e -> fail("host callback delivery", e));
        this.subscribedThread = reports.pthreadId();
        int rc = Acl.Raw.aclrtSubscribeReport(subscribedThread, handle);
        if (rc != 0) {
            Acl.Raw.aclrtDestroyStream(handle);
            reports.stop();
            abandon();
            throw Check.aclError("aclrtSubscribeReport", rc);
        }
    }

    MemorySegment handle() {
        return handle;
    }

    @Override
    public AscendDevice device() {
        return device;
    }

    boolean isOpen() {
        return !isClosed();
    }

    void ensureOpen() {
        ensureOpen("stream");
    }

    /** Open and not failed: enqueueing is allowed. */
    void ensureUsable() {
        ensureOpen();
        StreamFailedException f = failure;
        if (f != null) {
            throw f;
        }
    }

    /**
     * Enqueues native work under the stream's lock so that each enqueue (and its trace callbacks) is atomic.
     * With tracing on, callbacks around the work stamp its start and end.
     */
    void enqueue(String operation, int rank, Runnable work) {
        // The use keeps close() from destroying the native stream between this check and the launch.
        try (var use = use(operation)) {
            enqueueOpen(operation, rank, work);
        }
    }

    private void enqueueOpen(String operation, int rank, Runnable work) {
        ensureUsable();
        device.bind();
        Tracer tracer = device.runtime().tracer();
        synchronized (enqueueLock) {
            if (!tracer.isEnabled()) {
                work.run();
                return;
            }
            String spanTag = tag();
            long[] start = new long[1];
            Callbacks.launch(handle, true, () -> start[0] = System.nanoTime(), t -> fail("trace", t));
            work.run();
            Callbacks.launch(handle, true, () -> tracer.record(new TraceSpan(device.id(), rank, name(), role(), operation,
                    spanTag, start[0], System.nanoTime())), t -> fail("trace", t));
        }
    }

    @Override
    public void copyFromHost(MemorySegment source, DeviceBuffer target, long targetOffset) {
        Objects.requireNonNull(source, "source");
        AscendBuffer dst = buffer(target);
        long bytes = source.byteSize();
        dst.checkRange(targetOffset, bytes, "copyFromHost target");
        if (bytes == 0) {
            return;
        }
        ensureUsable();
        PinnedPool pool = device.pinnedPool();
        PinnedHost staging = pool.acquire(bytes);
        MemorySegment.copy(source, 0, staging.segment(), 0, bytes);
        dst.markUsed(this);
        try {
            enqueue("copyFromHost", -1, () -> {
                Acl.memcpyAsync(dst.pointer(targetOffset), bytes, staging.segment(), bytes,
                        MemcpyKind.HOST_TO_DEVICE, handle);
                Callbacks.launch(handle, false, () -> pool.release(staging), t -> fail("copyFromHost", t));
            });
        } catch (RuntimeException e) {
            pool.release(staging);
            throw e;
        }
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, MemorySegment target) {
        Objects.requireNonNull(target, "target");
        AscendBuffer src = buffer(source);
        long bytes = target.byteSize();
        src.checkRange(sourceOffset, bytes, "copyToHost source");
        if (!target.isAccessibleBy(reports.thread())) {
            throw new InvalidArgumentException("copyToHost fills the target from the stream's callback thread, so it"
                    + " cannot be a segment of a confined arena; use a shared, automatic or global arena or a heap segment");
        }
        if (bytes == 0) {
            return;
        }
        ensureUsable();
        PinnedPool pool = device.pinnedPool();
        PinnedHost staging = pool.acquire(bytes);
        src.markUsed(this);
        try {
            enqueue("copyToHost", -1, () -> {
                Acl.memcpyAsync(staging.segment(), bytes, src.pointer(sourceOffset), bytes,
                        MemcpyKind.DEVICE_TO_HOST, handle);
                Callbacks.launch(handle, true, () -> {
                    try {
                        MemorySegment.copy(staging.segment(), 0, target, 0, bytes);
                    } finally {
                        pool.release(staging);
                    }
                }, t -> fail("copyToHost", t));
            });
        } catch (RuntimeException e) {
            pool.release(staging);
            throw e;
        }
    }

    @Override
    public void copy(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset, long bytes) {
        AscendBuffer src = anyDeviceBuffer(source);
        AscendBuffer dst = anyDeviceBuffer(target);
        if (bytes < 0) {
            throw new OutOfRangeException("negative copy size " + bytes);
        }
        src.checkRange(sourceOffset, bytes, "copy source");
        dst.checkRange(targetOffset, bytes, "copy target");
        if (bytes == 0) {
            return;
        }
        if (src.device() != dst.device()) {
            device.runtime().enablePeerAccess(src.device(), dst.device());
        }
        src.markUsed(this);
        dst.markUsed(this);
        enqueue("copy", -1, () -> Acl.memcpyAsync(dst.pointer(targetOffset), bytes,
                src.pointer(sourceOffset), bytes, MemcpyKind.DEVICE_TO_DEVICE, handle));
    }

    @Override
    public void memset(DeviceBuffer target, long offset, long bytes, byte value) {
        AscendBuffer dst = buffer(target);
        if (bytes < 0) {
            throw new OutOfRangeException("negative memset size " + bytes);
        }
        dst.checkRange(offset, bytes, "memset target");
        if (bytes == 0) {
            return;
        }
        dst.markUsed(this);
        enqueue("memset", -1, () -> Acl.aclrtMemsetAsync(dst.pointer(offset), bytes, value & 0xFF, bytes, handle));
    }

    @Override
    public void record(Event event) {
        AscendEvent e = event(event);
        if (e.device() != device) {
            throw new WrongDeviceException("event of device " + e.device().id() + " cannot be recorded on device " + device.id());
        }
        enqueue("record", -1, () -> e.recordOn(this));
    }

    @Override
    public void waitEvent(Event event) {
        AscendEvent e = event(event);
        if (e.device() != device) {
            throw new WrongDeviceException("stream '" + name() + "' of device " + device.id()
                    + " cannot wait on an event of device " + e.device().id());
        }
        e.ensureOpen();
        AscendStream source = e.lastStream();
        if (source == null) {
            ensureUsable();
            return;
        }
        if (source != this) {
            upstream.add(source);
        }
        enqueue("waitEvent", -1, () -> Acl.aclrtStreamWaitEvent(handle, e.handle()));
    }

    @Override
    public void waitStream(Stream other) {
        Objects.requireNonNull(other, "other");
        if (!(other instanceof AscendStream o) || o.device() != device) {
            throw new WrongDeviceException(other + " is not a stream of device " + device.id());
        }
        if (o == this) {
            return;
        }
        waitFor(o);
    }

    /** Makes this stream wait for the work enqueued on {@code other} so far, through a pooled event. */
    void waitFor(AscendStream other) {
        ensureUsable();
        MemorySegment e = other.recordPooled();
        try {
            upstream.add(other);
            enqueue("waitEvent", -1, () -> Acl.aclrtStreamWaitEvent(handle, e));
        } finally {
            device.eventPool().release(e);
        }
    }

    /** Records a pooled event at the current end of this stream; the caller gives it back to the pool. */
    MemorySegment recordPooled() {
        MemorySegment e = device.eventPool().acquire();
        try {
            enqueue("record", -1, () -> Acl.aclrtRecordEvent(e, handle));
            return e;
        } catch (RuntimeException ex) {
            device.eventPool().release(e);
            throw ex;
        }
    }

    void usedBy(HcclCommunicator communicator) {
        collectives.add(communicator);
    }

    @Override
    public void hostCallback(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        enqueue("hostCallback", -1, () -> Callbacks.launch(handle, true, callback, t -> fail("hostCallback", t)));
    }

    /**
     * A workspace of at least {@code bytes} for an operator enqueued next on this stream (call under the enqueue
     * lock, i.e. from inside {@link #enqueue}). A smaller cached one is released in stream order and replaced.
     */
    AscendBuffer workspace(long bytes) {
        if (workspace == null || workspace.byteSize() < bytes) {
            if (workspace != null) {
                workspace.close();
            }
            long size = Math.max(bytes, workspace == null ? 0 : workspace.byteSize() * 2);
            workspace = device.allocate(size, this, false);
        }
        return workspace;
    }

    /**
     * Waits in slices so that an interrupt is noticed: the thread then gets {@link WaitInterruptedException} with
     * its interrupt flag kept, as on the host backend. The use keeps close() from destroying the stream meanwhile.
     */
    @Override
    public void synchronize() {
        try (var use = use("synchronize")) {
            device.bind();
            int rc = syncUntil(Long.MAX_VALUE, true);
            if (rc != 0 && rc != DELIVERY_DEAD) {
                failFromCode(rc);
            }
        }
        device.deferredFrees().reclaim();
        throwIfFailed();
    }

    /** {@link #syncUntil}'s result when callback delivery died: the failure is already recorded. */
    private static final int DELIVERY_DEAD = Integer.MIN_VALUE;
    private static final int SYNC_SLICE_MS = 1000;

    /**
     * Waits for the stream in slices of {@code aclrtSynchronizeStreamWithTimeout}, so that a report thread that gave
     * up (its blocking callbacks will never run) ends the wait. Returns 0, a failure code, the timeout code when
     * {@code deadlineNanos} (a {@link System#nanoTime()} value, or Long.MAX_VALUE) passed, or DELIVERY_DEAD. When
     * {@code interruptible}, an interrupt of the waiting thread ends the wait with {@link WaitInterruptedException}
     * (its flag kept), as on the host backend.
     */
    private int syncUntil(long deadlineNanos, boolean interruptible) {
        while (true) {
            if (reports.deadCause() != null) {
                return DELIVERY_DEAD;
            }
            if (interruptible && Thread.interrupted()) {
                throw WaitInterruptedException.of("stream '" + name() + "'", new InterruptedException());
            }
            long slice = interruptible ? INTERRUPT_POLL_MILLIS : SYNC_SLICE_MS;
            if (deadlineNanos != Long.MAX_VALUE) {
                long left = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                slice = Math.clamp(left, 1, SYNC_SLICE_MS);
            }
            int rc = Acl.Raw.aclrtSynchronizeStreamWithTimeout(handle, (int) slice);
            if (Acl.isWaitTimeout(rc)) {
                if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0) {
                    return rc;
                }
                continue;
            }
            return rc;
        }
    }

    private void throwIfFailed() {
        if (failure == null) {
            for (AscendStream u : upstream) {
                StreamFailedException f = u.failure;
                if (f != null) {
                    fail("waitEvent", f);
                    break;
                }
            }
        }
        StreamFailedException f = failure;
        if (f != null) {
            throw f;
        }
    }

    /**
     * CANN accepts -1 or a timeout above 0, so a zero (or negative) timeout is a poll ({@code aclrtStreamQuery}),
     * and a timeout leaves the stream usable.
     */
    @Override
    public void synchronize(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        ensureOpen();
        device.bind();
        if (timeout.isNegative() || timeout.isZero()) {
            throwIfFailed();
            if (!isIdle()) {
                throw new StreamTimeoutException("stream '" + name() + "' has not finished (timeout " + timeout + ")");
            }
            device.deferredFrees().reclaim();
            throwIfFailed();
            return;
        }
        long nanos = timeout.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE : timeout.toNanos();
        long deadline = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + nanos;
        int rc = syncUntil(deadline, true);
        if (Acl.isWaitTimeout(rc)) {
            throw new StreamTimeoutException("stream '" + name() + "' did not finish within " + timeout);
        }
        if (rc != 0 && rc != DELIVERY_DEAD) {
            failFromCode(rc);
        }
        device.deferredFrees().reclaim();
        throwIfFailed();
    }

    /**
     * Classifies an asynchronous failure by code. A communicator that launched here and reports an error through
     * {@code HcclGetCommAsyncError} makes it a collective failure (a timeout for HCCL_E_TIMEOUT or CANN's 507048);
     * anything else stays the {@link AclException} of the synchronize call, with its code and name.
     */
    private void failFromCode(int rc) {
        AclException cause = Check.aclError("aclrtSynchronizeStream", rc);
        String operation = operationOf(cause.detail());
        RuntimeException reported = cause;
        for (HcclCommunicator c : collectives) {
            int async = c.asyncError();
            if (async == 0) {
                continue;
            }
            HcclException hccl = Check.hcclError("HcclGetCommAsyncError", async);
            String text = "rank " + c.rank() + " of " + c.size() + ": " + cause.detail() + " [" + hccl.codeName() + " "
                    + async + " from HcclGetCommAsyncError; " + cause.codeName() + " " + rc + " from aclrtSynchronizeStream]";
            boolean timeout = Hc.isTimeout(async) || Acl.isTaskTimeout(rc);
            reported = timeout ? new CollectiveTimeoutException(text) : new CollectiveException(text);
            reported.addSuppressed(hccl);   // the HcclException with the code, without hiding the collective type
            operation = c.lastOperation();
            break;
        }
        fail(operation, reported);
    }

    /** Native function names in failure messages, mapped to the Tandem operations that issue them. */
    private static final java.util.Map<String, String> OPERATIONS = java.util.Map.ofEntries(
            java.util.Map.entry("HcclAllReduce", "allReduce"),
            java.util.Map.entry("HcclAllGather", "allGather"),
            java.util.Map.entry("HcclReduceScatter", "reduceScatter"),
            java.util.Map.entry("HcclAlltoAll", "allToAll"),
            java.util.Map.entry("HcclAlltoAllV", "allToAllV"),
            java.util.Map.entry("HcclBroadcast", "broadcast"),
            java.util.Map.entry("HcclSend", "send"),
            java.util.Map.entry("HcclRecv", "recv"),
            java.util.Map.entry("HcclBarrier", "barrier"),
            java.util.Map.entry("aclnnIndexSelect", "indexSelect"),
            java.util.Map.entry("aclnnIndexAdd", "indexAdd"),
            java.util.Map.entry("aclnnCast", "cast"),
            java.util.Map.entry("aclnnMatmul", "matmul"),
            java.util.Map.entry("aclnnRmsNorm", "rmsNorm"),
            java.util.Map.entry("aclnnTopk", "topk"),
            java.util.Map.entry("aclnnInplaceCopy", "copy"),
            java.util.Map.entry("aclnnInplaceFillScalar", "fill"),
            java.util.Map.entry("aclnnGroupedMatmulV4", "groupedMatmul"));

    /** A label for the failed operation: the first function name in CANN's message, after any EZ9999-style code. */
    private static String operationOf(String detail) {
        String d = detail.replaceFirst("^E[A-Z][0-9A-Z]{4}: ", "");
        d = d.startsWith("HCCL ") ? d.substring(5) : d;
        int end = 0;
        while (end < d.length() && (Character.isLetterOrDigit(d.charAt(end)) || d.charAt(end) == '_')) {
            end++;
        }
        if (end == 0) {
            return "device operation";
        }
        String fn = d.substring(0, end);
        return OPERATIONS.getOrDefault(fn, fn);
    }

    void fail(String operation, Throwable cause) {
        synchronized (this) {
            if (failure == null) {
                failure = new StreamFailedException(name(), operation, cause);
            }
        }
    }

    StreamFailedException failure() {
        return failure;
    }

    @Override
    public boolean isIdle() {
        ensureOpen();
        device.bind();
        return Acl.queryStream(handle) == StreamStatus.COMPLETE;
    }

    void drainQuietly() {
        if (isClosed()) {
            return;
        }
        device.bind();
        syncUntil(Long.MAX_VALUE, false);
    }

    /**
     * Drains (queued work still runs), unsubscribes the report thread and destroys the stream. Idempotent. Called
     * from a host callback, the close is handed to another thread: the callback's own stream cannot drain while
     * the callback runs.
     */
    @Override
    protected void release() {
        if (ReportThread.isCurrent()) {
            // A callback's own stream cannot drain while the callback runs: release on another thread.
            Thread.ofPlatform().name("tandem-ascend-close-" + name()).start(this::releaseStream);
            return;
        }
        releaseStream();
    }

    private void releaseStream() {
        device.bind();
        synchronized (enqueueLock) {
            if (workspace != null) {
                workspace.close();
                workspace = null;
            }
        }
        syncUntil(Long.MAX_VALUE, false);
        if (reports.deadCause() != null) {
            // Its queued blocking callbacks can never be delivered, so the stream cannot drain: destroying it would
            // wait forever. It is abandoned (one stream's native resources) instead.
            Acl.Raw.aclrtUnSubscribeReport(subscribedThread, handle);
            device.forget(this);
            return;
        }
        int rc = Acl.Raw.aclrtUnSubscribeReport(subscribedThread, handle);
        int rc2 = Acl.Raw.aclrtDestroyStream(handle);
        reports.stop();
        device.forget(this);
        Check.acl("aclrtUnSubscribeReport", rc);
        Check.acl("aclrtDestroyStream", rc2);
    }

    AscendBuffer buffer(DeviceBuffer b) {
        AscendBuffer ab = anyDeviceBuffer(b);
        if (ab.device() != device) {
            throw new WrongDeviceException("buffer of device " + ab.device().id() + " used on stream '" + name()
                    + "' of device " + device.id());
        }
        return ab;
    }

    AscendBuffer anyDeviceBuffer(DeviceBuffer b) {
        Objects.requireNonNull(b, "buffer");
        if (!(b instanceof AscendBuffer ab) || ab.device().runtime() != device.runtime()) {
            throw new WrongDeviceException(b + " is not a buffer of this Ascend runtime");
        }
        ab.ensureOpen();
        return ab;
    }

    private AscendEvent event(Event e) {
        Objects.requireNonNull(e, "event");
        if (!(e instanceof AscendEvent ae) || ae.device().runtime() != device.runtime()) {
            throw new WrongDeviceException(e + " is not an event of this Ascend runtime");
        }
        return ae;
    }

    @Override
    public String toString() {
        return "AscendStream['" + name() + "' on device " + device.id() + "]";
    }
}
