package dev.tandem.runtime.sim;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.StreamTimeoutException;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.spi.StreamChecks;
import dev.tandem.runtime.spi.StreamHandle;
import dev.tandem.runtime.trace.TraceSpan;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;

/**
 * A simulated stream: an in-order queue of operations, each resolved to a virtual start and end once its
 * predecessor on the stream and everything it waits for are resolved. Positions count enqueued operations as on
 * the host backend; an event captures a position. All state is guarded by the runtime's lock.
 */
final class SimStream extends StreamHandle {
    private static final int WORK = 0;
    private static final int WAIT = 1;
    private static final int COLLECTIVE = 2;
    /** Roles of operations for contention: kernels are compute, collectives and transfers are communication. */
    static final int OTHER = 0;
    static final int COMPUTE = 1;
    static final int COMM = 2;
    /** A thread other than the caller: resolution may run on any thread, so confined memory is refused as on host. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private final SimDevice device;
    private final SimRuntime runtime;
    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    private long enqueued;
    private long completed;
    private long clock;
    private long[] endTimes = new long[64];
    /** Smallest position a blocked host thread waits for (MAX_VALUE: none); reaching it wakes the waiters. */
    private long awaited = Long.MAX_VALUE;
    private Failure failure;
    /** Set by the runtime to end the deferred kernel at the head with what is known (see {@link Contention}). */
    private boolean forcing;

    /** A queued operation; {@code action} runs when it resolves (data moves of data-carrying buffers). */
    private static final class Op {
        final int kind;
        final String name;
        final String tag;
        final long issue;
        final double cost;
        final Runnable action;
        int role;
        /** A kernel's issue index on its device (see {@link ComputeSharing}); -1 for other operations. */
        int kernelIndex = -1;
        /** A kernel whose end waits for the device's communication to be known (counted once in the runtime). */
        boolean deferred;
        SimStream target;
        long position;
        SimGroup.Round round;
        int rank;
        boolean arrived;
        long arrival;
        /** When the operation can start, its stream's wake-up included (drawn once); -1 until known. */
        long ready = -1;

        Op(int kind, String name, String tag, long issue, double cost, Runnable action) {
            this.kind = kind;
            this.name = name;
            this.tag = tag;
            this.issue = issue;
            this.cost = cost;
            this.action = action;
        }
    }

    /** The first failure of this stream and the position of the operation that failed. */
    record Failure(long position, String operation, Throwable cause) {
    }

    /** This stream's wake-ups after waiting for another, drawn in its own order (runtime lock held). */
    private final WakeUps wakes;

    SimStream(SimDevice device, StreamOptions options) {
        super("sim stream '" + options.name() + "' on " + device.name(), options);
        this.device = device;
        this.runtime = device.simRuntime();
        this.wakes = WakeUps.ofStream(device.id(), options.name());
    }

    @Override
    public SimDevice device() {
        return device;
    }

    long clock() {
        return clock;
    }

    // ---- enqueue ----

    /** Enqueues work of {@code costNanos} (charged one launch on the host); {@code action} runs when it resolves. */
    void enqueueWork(String name, double costNanos, Runnable action) {
        enqueueWork(name, costNanos, action, OTHER);
    }

    /**
     * Enqueues work of {@code costNanos} in {@code role} ({@link #COMPUTE} for kernels, {@link #COMM} for transfers
     * between devices, else {@link #OTHER}); {@code action} runs when it resolves.
     */
    void enqueueWork(String name, double costNanos, Runnable action, int role) {
        synchronized (runtime.lock()) {
            checkUsable(name);
            ComputeSharing sharing = runtime.computeSharing();
            int index = -1;
            double cost = costNanos;
            if (sharing != null && role == COMPUTE) {
                index = sharing.issue(device.id());
                cost *= sharing.factor(device.id(), index);   // 1 for index -1
            }
            long available = device.issue(this, true);
            if (role == COMPUTE) {
                cost += device.takeStolenNanos();   // the host's work since the last kernel, on shared cores
            }
            Op op = new Op(WORK, name, tag(), available, cost, action);
            op.role = role;
            op.kernelIndex = index;
            add(op);
        }
    }

    /** The stage issuing operations now: the last part of the stream's trace tag ({@code mb0/L3/combine}), or null. */
    String stage() {
        String tag = tag();
        return tag == null ? null : tag.substring(tag.lastIndexOf('/') + 1);
    }

    /** Enqueues this rank's part of a collective round. */
    void enqueueCollective(String name, SimGroup.Round round, int rank, double costNanos) {
        synchronized (runtime.lock()) {
            checkUsable(name);
            Op op = new Op(COLLECTIVE, name, tag(), device.issue(this, true), costNanos, null);
            op.round = round;
            op.rank = rank;
            op.role = COMM;
            add(op);
        }
    }

    private void enqueueWait(String name, SimStream target, long position) {
        synchronized (runtime.lock()) {
            checkUsable(name);
            Op op = new Op(WAIT, name, tag(), device.issue(this, false), 0, null);
            op.target = target;
            op.position = position;
            add(op);
        }
    }

    private void add(Op op) {
        runtime.active();
        queue.addLast(op);
        enqueued++;
        runtime.pump(this);
    }

    void checkUsable(String operation) {
        ensureOpen(operation);
        if (failure != null) {
            throw failureException(failure);
        }
    }

    /** Everything enqueued so far: the position an event recorded now captures (lock held or not). */
    long position() {
        synchronized (runtime.lock()) {
            return enqueued;
        }
    }

    // ---- resolution (runtime lock held) ----

    /** Resolves operations at the head of the queue while possible; true if any was resolved. */
    boolean advance() {
        boolean any = false;
        while (!queue.isEmpty()) {
            Op op = queue.peekFirst();
            long start = startOf(op);
            long end = start;
            if (failure == null) {
                switch (op.kind) {
                    case WAIT -> {
                        if (op.target.completed < op.position) {
                            return any;
                        }
                        long ready = op.target.timeAt(op.position);
                        // a stream that really waited runs again only after it woke up
                        end = ready > start ? ready + streamWakeNanos() : start;
                        Failure f = op.target.failureAtOrBefore(op.position);
                        if (f != null) {
                            fail(op.name, new StreamFailedException(op.target.name(), f.operation(), f.cause()));
                        }
                    }
                    case COLLECTIVE -> {
                        if (!op.arrived) {
                            op.arrived = true;
                            op.arrival = start;
                            op.round.arrive(op.rank, start, op.cost);
                        }
                        if (!op.round.isComplete()) {
                            return any;
                        }
                        start = op.arrival;
                        if (op.round.error() != null) {
                            end = start;
                            fail(op.name, op.round.error());
                        } else {
                            end = op.round.end(op.rank);
                        }
                    }
                    default -> {
                        Contention contention = runtime.contention();
                        if (contention != null && op.role == COMPUTE) {
                            end = contention.kernelEnd(this, start, op.cost, forcing);
                            if (end < 0) {
                                if (!op.deferred) {
                                    op.deferred = true;
                                    contention.deferred(1);
                                }
                                return any;
                            }
                            if (op.deferred) {
                                op.deferred = false;
                                contention.deferred(-1);
                            }
                            device.commActivity().stretched(end - start - Math.round(op.cost));
                        } else {
                            end = start + Math.round(op.cost);
                        }
                        if (op.kernelIndex >= 0) {
                            runtime.computeSharing().resolved(device.id(), op.kernelIndex, start, end);
                        }
                        if (op.action != null) {
                            long outer = runtime.resolvingAt();
                            runtime.resolving(end);
                            try {
                                op.action.run();
                            } catch (RuntimeException | Error e) {
                                fail(op.name, e);
                            } finally {
                                runtime.resolving(outer);
                            }
                        }
                    }
                }
            }
            if (op.deferred) {   // resolved without ending as a kernel (the stream failed)
                runtime.contention().deferred(-1);
            }
            if (op.role == COMM && runtime.contention() != null) {
                device.commActivity().add(start, end);
            }
            forcing = false;
            queue.pollFirst();
            completed++;
            clock = end;
            if (endTimes.length <= completed) {
                endTimes = Arrays.copyOf(endTimes, endTimes.length * 2);
            }
            endTimes[(int) completed] = end;
            if (completed >= awaited) {
                awaited = Long.MAX_VALUE;
                runtime.wakeWaiters();
            }
            var tracer = runtime.tracer();
            if (tracer.isEnabled()) {
                tracer.record(new TraceSpan(device.id(), device.rank(), name(), role(), op.name, op.tag, start, end));
            }
            any = true;
        }
        return any;
    }

    // ---- bounds for contention (runtime lock held; see Contention) ----

    /** Makes the deferred kernel at the head end with what is known, and resolves what follows. */
    boolean forceHead() {
        forcing = true;
        boolean any = advance();
        forcing = false;
        return any;
    }

    /** Whether position {@code p} is resolved (lock held). */
    boolean resolvedThrough(long p) {
        return completed >= p;
    }

    boolean isEmptyQueue() {
        return queue.isEmpty();
    }

    /** Whether the head is a deferred kernel. */
    boolean headDeferred() {
        Op h = queue.peekFirst();
        return h != null && h.deferred;
    }

    /** Start of the head operation as far as known now (its predecessor's end and its issue). */
    long headStart() {
        return startOf(queue.peekFirst());
    }

    /** Base cost of the head operation. */
    double headCost() {
        return queue.peekFirst().cost;
    }

    /**
     * The time before which all communication of this stream is known, for a kernel at the head of {@code kernel}
     * (another stream of the device): an arrived collective at the head counts as running from its arrival
     * ({@code open[0]} takes the earliest such arrival) for at least its own cost; anything else queued starts no
     * earlier than the head could end; an empty stream gets work no earlier than {@code host}.
     */
    long commKnownUntil(SimStream kernel, long host, long[] open) {
        Op h = queue.peekFirst();
        if (h == null) {
            return Math.max(clock, host);
        }
        if (failure != null) {
            return clock;
        }
        if (h.kind == COLLECTIVE && h.arrived) {
            open[0] = Math.min(open[0], h.arrival);
            return h.arrival + Math.round(h.cost);
        }
        long start = startOf(h);
        return h.role == COMM ? start : headEnd(h, start, kernel, 0);
    }

    /**
     * A lower bound of the time position {@code p} ends at; unbounded on {@code kernel}'s stream, whose unresolved
     * positions all follow the kernel at its head.
     */
    long endBound(long p, SimStream kernel, int depth) {
        if (p <= completed) {
            return timeAt(p);
        }
        if (this == kernel) {
            return Long.MAX_VALUE;
        }
        Op h = queue.peekFirst();
        if (failure != null || h == null || depth > 8) {
            return clock;
        }
        return headEnd(h, startOf(h), kernel, depth);
    }

    private long headEnd(Op h, long start, SimStream kernel, int depth) {
        return switch (h.kind) {
            case WAIT -> Math.max(start, h.target.endBound(h.position, kernel, depth + 1));
            case COLLECTIVE -> (h.arrived ? h.arrival : start) + Math.round(h.cost);
            // a kernel is slowed at least by the communication known now
            default -> h.role == COMPUTE ? device.commActivity().end(start, h.cost, runtime.contention().slow(),
                    Long.MAX_VALUE) : start + Math.round(h.cost);
        };
    }

    /**
     * When head operation {@code op} can start: once the stream is free and the host issued it, and, where the
     * profile's streams park ({@link HardwareProfile#streamParkMicros()}), after the stream's thread woke up if it had
     * run out of work for longer than that (an event wait's wake-up is charged by the wait itself).
     */
    private long startOf(Op op) {
        if (op.ready < 0) {
            long park = Math.round(runtime.settings().profile().streamParkMicros() * 1e3);
            boolean parked = park > 0 && op.kind != WAIT && op.issue - clock > park;
            op.ready = parked ? op.issue + streamWakeNanos() : Math.max(clock, op.issue);
        }
        return op.ready;
    }

    private long streamWakeNanos() {
        return wakes.nanos(runtime.settings().profile().streamWakeMicros());
    }

    private void fail(String operation, Throwable cause) {
        if (failure == null) {
            failure = new Failure(completed + 1, operation, cause);
        }
    }

    /** Virtual time at which position {@code p} finished (0 for position 0). */
    long timeAt(long p) {
        return p == 0 ? 0 : endTimes[(int) p];
    }

    Failure failureAtOrBefore(long position) {
        Failure f = failure;
        return f != null && f.position() <= position ? f : null;
    }

    boolean reached(long position) {
        synchronized (runtime.lock()) {
            Contention contention = runtime.contention();
            // a host callback that polls runs inside the engine: it sees what is resolved
            if (contention == null || completed >= position || runtime.pumping()) {
                return completed >= position;
            }
            // a poll blocks the host for its duration (see Contention): kernels may end on what is known
            Thread self = Thread.currentThread();
            contention.block(self, this, position);
            try {
                runtime.pump(null);
            } finally {
                contention.unblock(self);
            }
            if (completed >= position) {
                device.hostWaitedUntil(timeAt(position), this);
                contention.hostWaited(self, timeAt(position));
                return true;
            }
            return false;
        }
    }

    /** Blocks the caller until {@code position} resolved; then the device's host clock is at least its time. */
    void awaitPosition(long position, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (runtime.lock()) {
            Contention contention = runtime.contention();
            Thread self = Thread.currentThread();
            if (contention != null && completed < position) {
                contention.block(self, this, position);
                runtime.pump(null);
            }
            try {
                awaitLocked(position, deadline, timeoutNanos);
            } finally {
                if (contention != null) {
                    contention.unblock(self);
                }
            }
            device.hostWaitedUntil(timeAt(position), this);
            if (contention != null) {
                contention.hostWaited(self, timeAt(position));
            }
        }
    }

    private void awaitLocked(long position, long deadline, long timeoutNanos) {
        long stalledSince = System.nanoTime();
        long seen = runtime.activity();
        while (completed < position) {
            awaited = Math.min(awaited, position);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new StreamTimeoutException("stream '" + name() + "' did not drain within "
                        + Duration.ofNanos(timeoutNanos) + ": " + (position - completed) + " operation(s) pending");
            }
            long waited = System.nanoTime();
            try {
                runtime.lock().wait(Math.max(1, Math.min(50, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for stream '" + name() + "'", e);
            }
            // Nothing resolved for a while: a rank may never arrive at a collective.
            long now = System.nanoTime();
            if (now - waited >= 40_000_000L) {
                runtime.checkCollectiveTimeouts();
            }
            // the engine did nothing at all (no issue, no wait) for that long: a thread blocks outside it
            if (runtime.activity() != seen) {
                seen = runtime.activity();
                stalledSince = now;
            } else if (completed < position && runtime.contention() != null
                    && now - stalledSince >= Contention.STALL_NANOS) {
                runtime.contention().forceStalled();
                stalledSince = now;
                seen = runtime.activity();
            }
        }
    }

    StreamFailedException failureException(Failure f) {
        return new StreamFailedException(name(), f.operation(), f.cause());
    }

    // ---- copies ----

    @Override
    public void copyFromHost(MemorySegment source, DeviceBuffer target, long targetOffset) {
        Objects.requireNonNull(source, "source");
        SimBuffer t = device.ownBuffer(target, "copyFromHost");
        checkRange("copyFromHost", t, targetOffset, source.byteSize());
        // Snapshot now, as the host backend stages memory it cannot read later.
        MemorySegment from = t.byteSize() > runtime.settings().dataBytesLimit() ? null
                : MemorySegment.ofArray(source.toArray(ValueLayout.JAVA_BYTE));
        enqueueWork("copyFromHost", runtime.costs().hostCopyNanos(source.byteSize()), from == null ? null
                : () -> MemorySegment.copy(from, 0, t.writableData(), targetOffset, from.byteSize()));
    }

    /**
     * Downloads enqueue the same operations as on any backend (the copy and the callback) but skip the staging
     * memory: a shape-only tensor has nothing to stage (full-size router scores are downloaded every layer), and a
     * data-carrying one is read straight from its buffer by the callback, which resolves right after the copy.
     */
    @Override
    public void download(Tensor source, float[] values) {
        Objects.requireNonNull(source, "source");
        if (source.byteSize() <= runtime.settings().dataBytesLimit()) {
            super.download(source, values);
            return;
        }
        // the checks of TensorCopies.checkHostCopy (package-private in the API package), same messages
        if (!source.dtype().isFloatingPoint()) {
            throw new ShapeException("float[] copy needs a F32, BF16 or F16 tensor, got " + source);
        }
        checkArrayLength(source, values.length);
        enqueueDownload(source, null);
    }

    @Override
    public void download(dev.tandem.runtime.Tensor source, int[] values) {
        Objects.requireNonNull(source, "source");
        if (source.dtype() != dev.tandem.runtime.DType.I32) {
            throw new dev.tandem.runtime.ShapeException("array copy needs a I32 tensor, got " + source);
        }
        checkArrayLength(source, values.length);
        enqueueDownload(source, data -> {
            if (data == null) {
                Arrays.fill(values, 0);   // never written: a fresh allocation reads as zeros
            } else {
                MemorySegment.copy(data, java.lang.foreign.ValueLayout.JAVA_INT, source.byteOffset(), values, 0,
                        values.length);
            }
        });
    }

    private void enqueueDownload(dev.tandem.runtime.Tensor source, java.util.function.Consumer<MemorySegment> read) {
        SimBuffer b = device.ownBuffer(source.buffer(), "copyToHost");
        enqueueWork("copyToHost", runtime.costs().hostCopyNanos(source.byteSize()), null);
        hostCallback(() -> {
            if (read != null) {
                read.accept(b.data());
            }
        });
    }

    private static void checkArrayLength(dev.tandem.runtime.Tensor tensor, int length) {
        if (!tensor.isContiguous()) {
            throw new dev.tandem.runtime.ShapeException("host copies need a contiguous tensor; copy " + tensor
                    + " with Kernels.copy first");
        }
        if (tensor.numel() != length) {
            throw new OutOfRangeException("array of " + length + " elements does not match " + tensor
                    + " with " + tensor.numel() + " elements");
        }
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, MemorySegment target) {
        Objects.requireNonNull(target, "target");
        SimBuffer s = device.ownBuffer(source, "copyToHost");
        checkRange("copyToHost", s, sourceOffset, target.byteSize());
        if (!target.isAccessibleBy(OTHER_THREAD)) {
            throw new InvalidArgumentException("copyToHost: the target segment is confined to another "
                    + "thread; asynchronous copies need memory from a shared, global or automatic arena");
        }
        if (target.isReadOnly()) {
            throw new InvalidArgumentException("copyToHost: target host segment is read-only");
        }
        enqueueWork("copyToHost", runtime.costs().hostCopyNanos(target.byteSize()), () -> {
            if (s.data() != null) {
                MemorySegment.copy(s.data(), sourceOffset, target, 0, target.byteSize());
            }
        });
    }

    @Override
    public void copy(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset, long bytes) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        if (!(source instanceof SimBuffer s) || s.device().simRuntime() != runtime) {
            throw new WrongDeviceException("copy: source buffer belongs to another runtime");
        }
        if (!(target instanceof SimBuffer t) || t.device().simRuntime() != runtime) {
            throw new WrongDeviceException("copy: target buffer belongs to another runtime");
        }
        s.checkOpen("copy");
        t.checkOpen("copy");
        checkRange("copy (source)", s, sourceOffset, bytes);
        checkRange("copy (target)", t, targetOffset, bytes);
        double cost = s.device() == t.device() ? runtime.costs().memoryNanos(2.0 * bytes)
                : runtime.costs().collectiveNanos("copy", bytes, 2);
        enqueueWork("copy", cost, () -> {
            if (s.data() != null && t.writableData() != null) {
                MemorySegment.copy(s.data(), sourceOffset, t.writableData(), targetOffset, bytes);
            }
        }, s.device() == t.device() ? OTHER : COMM);
    }

    @Override
    public void memset(DeviceBuffer target, long offset, long bytes, byte value) {
        SimBuffer t = device.ownBuffer(target, "memset");
        checkRange("memset", t, offset, bytes);
        enqueueWork("memset", runtime.costs().memoryNanos(bytes), () -> {
            if (t.writableData() != null) {
                t.writableData().asSlice(offset, bytes).fill(value);
            }
        });
    }

    private static void checkRange(String operation, SimBuffer buffer, long offset, long bytes) {
        StreamChecks.range(operation, buffer, offset, bytes);
    }

    // ---- events and waits ----

    @Override
    public void record(Event event) {
        SimEvent e = ownEvent(event, SimEvent.class, "record");
        synchronized (runtime.lock()) {
            checkUsable("record");
            e.capture(this, enqueued);
        }
    }

    @Override
    public void waitEvent(Event event) {
        SimEvent e = ownEvent(event, SimEvent.class, "waitEvent");
        SimEvent.Capture capture = e.currentCapture();
        checkUsable("waitEvent");
        if (capture == null || capture.stream() == this) {
            return;
        }
        enqueueWait("waitEvent(" + capture.stream().name() + ")", capture.stream(), capture.position());
    }

    @Override
    public void waitStream(Stream other) {
        SimStream o = device.ownStream(other, "waitStream");
        o.ensureOpen("waitStream (the stream waited for)");
        checkUsable("waitStream");
        if (o == this) {
            return;
        }
        enqueueWait("waitStream(" + o.name() + ")", o, o.position());
    }

    @Override
    public void hostCallback(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        synchronized (runtime.lock()) {
            checkUsable("hostCallback");
            add(new Op(WORK, "hostCallback", tag(), device.issue(this, false), 0, callback));
        }
    }

    // ---- synchronisation ----

    @Override
    public void synchronize() {
        synchronize(Duration.ofDays(365));
    }

    @Override
    public void synchronize(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        ensureOpen("synchronize");
        awaitPosition(position(), timeout.toNanos());
        synchronized (runtime.lock()) {
            if (failure != null) {
                throw failureException(failure);
            }
        }
    }

    @Override
    public boolean isIdle() {
        synchronized (runtime.lock()) {
            return reached(enqueued);
        }
    }

    @Override
    protected void release() {
        device.forget(this);
    }

    @Override
    public String toString() {
        return "SimStream[" + name() + " on " + device.name() + "]";
    }
}
