package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.StreamTimeoutException;
import dev.tandem.runtime.WaitInterruptedException;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.spi.StreamChecks;
import dev.tandem.runtime.spi.StreamHandle;
import dev.tandem.runtime.trace.TraceSpan;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A stream whose operations run in order on one platform thread of its own. Positions count enqueued operations:
 * an operation at position p is finished once {@link #completed} reaches p. Events and waits capture positions.
 *
 * <p>Handoff: {@link #enqueued} and {@link #completed} are volatile, so checking a position takes no lock. A thread
 * that waits for a position, and the stream thread when its queue runs dry, first spin for up to
 * {@link #SPIN_NANOS} (the next operation or completion usually comes within microseconds) and only then block on
 * the monitor; so a handoff costs about a microsecond when it is quick, and an idle stream thread stops using CPU
 * within that spin.
 */
final class HostStream extends StreamHandle {
    /** How long a waiter spins before it blocks: short enough that idle threads park within ~50 us. */
    static final long SPIN_NANOS = 20_000;
    /** Within the spin, after this long a waiter yields between checks instead of only pausing. */
    private static final long YIELD_AFTER_NANOS = 2_000;
    private final HostDevice device;
    private final Object lock = new Object();
    private final ArrayDeque<Operation> queue = new ArrayDeque<>();
    private final Thread worker;
    private Operation running;
    private volatile long enqueued;
    private volatile long completed;
    private volatile boolean stopping;
    private boolean exited;
    private volatile Failure failure;
    private final List<BiConsumer<String, Throwable>> failureListeners = new CopyOnWriteArrayList<>();
    private final PriorityQueue<Watcher> watchers = new PriorityQueue<>(Comparator.comparingLong(Watcher::position));

    /** An action to run once the stream has finished {@code position}. */
    private record Watcher(long position, Runnable action) {
    }

    /** The first failure of this stream and the position of the operation that failed. */
    record Failure(long position, String operation, Throwable cause) {
    }

    private record Operation(long position, String name, String tag, Runnable body) {
    }

    HostStream(HostDevice device, StreamOptions options) {
        super("stream '" + options.name() + "' on " + device.name(), options);
        this.device = device;
        this.worker = Thread.ofPlatform()
                .name("tandem-" + device.name().replace(':', '-') + "-" + options.name())
                .daemon(true)
                .unstarted(this::runLoop);
        worker.start();
    }

    @Override
    public HostDevice device() {
        return device;
    }

    // ---- enqueue ----

    /** Enqueues an operation touching {@code buffers}; returns its position. */
    long enqueue(String name, List<HostBuffer> buffers, Runnable body) {
        synchronized (lock) {
            checkUsable(name);
            long position = ++enqueued;
            for (HostBuffer b : buffers) {
                b.usedOn(this, position);
            }
            queue.addLast(new Operation(position, name, tag(), body));
            lock.notifyAll();
            return position;
        }
    }

    long enqueue(String name, Runnable body) {
        return enqueue(name, List.of(), body);
    }

    void checkOpen(String operation) {
        ensureOpen(operation);
    }

    private void checkUsable(String operation) {
        ensureOpen(operation);
        Failure f = failure;
        if (f != null) {
            throw failureException(f);
        }
    }

    /**
     * Runs {@code action} (which must be quick and must not block) once this stream has finished {@code position}:
     * at once if it already has, otherwise on the stream's thread right after that operation. Never blocks the
     * stream itself, which is what lets frees wait for other streams without stalling anyone.
     */
    void whenReached(long position, Runnable action) {
        synchronized (lock) {
            if (completed < position && !exited) {
                watchers.add(new Watcher(position, action));
                return;
            }
        }
        action.run();
    }

    /**
     * Calls {@code listener} (operation name, cause) once this stream fails, at once if it already has. Listeners
     * run on the stream's thread right after the failing operation and must be quick and must not throw.
     */
    void onFailure(BiConsumer<String, Throwable> listener) {
        failureListeners.add(listener);
        Failure f = failure;
        if (f != null) {
            listener.accept(f.operation(), f.cause());
        }
    }

    private void fail(Failure f) {
        if (failure == null) {
            failure = f;
            for (var listener : failureListeners) {
                try {
                    listener.accept(f.operation(), f.cause());
                } catch (RuntimeException e) {
                    f.cause().addSuppressed(e);
                }
            }
        }
    }

    /** Everything enqueued so far: the position an event recorded now would capture. */
    long position() {
        return enqueued;
    }

    /**
     * Spins until {@code position} is complete ({@code completion}) or, on the stream thread, until work beyond
     * {@code position} is enqueued; gives up after {@link #SPIN_NANOS}. True when the condition came true.
     */
    private boolean spinUntil(long position, boolean completion) {
        long start = 0;
        for (int i = 0; ; i++) {
            if (completion ? completed >= position : enqueued > position || stopping) {
                return true;
            }
            if ((i & 15) == 15) {
                long now = System.nanoTime();
                if (start == 0) {
                    start = now;
                } else if (now - start > SPIN_NANOS) {
                    return false;
                } else if (now - start > YIELD_AFTER_NANOS) {
                    Thread.yield();
                    continue;
                }
            }
            Thread.onSpinWait();
        }
    }

    // ---- worker ----

    private void runLoop() {
        long taken = 0;
        while (true) {
            Operation op;
            if (enqueued == taken && !stopping) {
                spinUntil(taken, false);
            }
            synchronized (lock) {
                while (queue.isEmpty() && !stopping) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        // Streams stop only through close(); keep draining.
                    }
                }
                if (exited) {
                    return;   // close gave up waiting for this thread and finished the stream without it
                }
                if (queue.isEmpty()) {
                    runWatchers(exit());
                    return;
                }
                op = queue.pollFirst();
                running = op;
            }
            taken = op.position();
            execute(op);
            List<Runnable> due = new ArrayList<>();
            synchronized (lock) {
                running = null;
                if (exited) {
                    return;
                }
                completed = op.position();
                while (!watchers.isEmpty() && watchers.peek().position() <= completed) {
                    due.add(watchers.poll().action());
                }
                lock.notifyAll();
            }
            runWatchers(due);
        }
    }

    private void execute(Operation op) {
        if (failure != null) {
            return; // sticky failure: later work is skipped
        }
        long start = System.nanoTime();
        try {
            op.body().run();
        } catch (Throwable t) {
            fail(new Failure(op.position(), op.name(), t));
        } finally {
            long end = System.nanoTime();
            var tracer = device.hostRuntime().tracer();
            // Record markers take no time and would clutter every lane.
            if (tracer.isEnabled() && !op.name().equals("record")) {
                tracer.record(new TraceSpan(device.id(), device.rank(), name(), role(), op.name(), op.tag(), start, end));
            }
        }
    }

    /**
     * Marks the stream finished (under the lock): every position counts as reached, so nobody waits for dropped
     * work (the failure recorded at close says why it did not run), and returns the watchers still waiting.
     */
    private List<Runnable> exit() {
        exited = true;
        completed = enqueued;
        List<Runnable> rest = new ArrayList<>();
        while (!watchers.isEmpty()) {
            rest.add(watchers.poll().action());
        }
        lock.notifyAll();
        return rest;
    }

    /** Watchers must not throw; if one does anyway, the stream fails rather than losing its thread. */
    private void runWatchers(List<Runnable> due) {
        for (Runnable action : due) {
            try {
                action.run();
            } catch (RuntimeException e) {
                fail(new Failure(completed, "free", e));
            }
        }
    }

    /** Blocks the calling thread until this stream has finished position {@code position}. */
    void awaitPosition(long position) {
        if (completed >= position) {
            return;
        }
        if (Thread.currentThread() == worker) {
            throw new IllegalStateException("stream '" + name() + "' cannot wait for its own later work from one of its "
                    + "operations or callbacks: that would deadlock");
        }
        if (spinUntil(position, true)) {
            return;
        }
        synchronized (lock) {
            while (completed < position) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    throw WaitInterruptedException.of("stream '" + name() + "'", e);
                }
            }
        }
    }

    /** True when position {@code position} has finished. */
    boolean reached(long position) {
        return completed >= position;
    }

    /** The failure that affects work up to {@code position}, if any. */
    Failure failureAtOrBefore(long position) {
        Failure f = failure;
        return f != null && f.position() <= position ? f : null;
    }

    StreamFailedException failureException(Failure f) {
        return new StreamFailedException(name(), f.operation(), f.cause());
    }

    // ---- copies ----

    @Override
    public void copyFromHost(MemorySegment source, DeviceBuffer target, long targetOffset) {
        Objects.requireNonNull(source, "source");
        HostBuffer t = device.ownBuffer(target, "copyFromHost");
        checkRange("copyFromHost", t, targetOffset, source.byteSize());
        // Memory the stream thread may not touch (a confined arena) is staged now, as CUDA stages pageable memory.
        MemorySegment from = source.isAccessibleBy(worker) ? source
                : MemorySegment.ofArray(source.toArray(ValueLayout.JAVA_BYTE));
        enqueue("copyFromHost", List.of(t), () -> MemorySegment.copy(from, 0, t.segment(), targetOffset, from.byteSize()));
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, MemorySegment target) {
        Objects.requireNonNull(target, "target");
        HostBuffer s = device.ownBuffer(source, "copyToHost");
        checkRange("copyToHost", s, sourceOffset, target.byteSize());
        if (!target.isAccessibleBy(worker)) {
            throw new InvalidArgumentException("copyToHost: the target segment is confined to another "
                    + "thread; asynchronous copies need memory from a shared, global or automatic arena");
        }
        if (target.isReadOnly()) {
            throw new InvalidArgumentException("copyToHost: target host segment is read-only");
        }
        enqueue("copyToHost", List.of(s), () -> MemorySegment.copy(s.segment(), sourceOffset, target, 0, target.byteSize()));
    }

    @Override
    public void copy(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset, long bytes) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        if (!(source instanceof HostBuffer s) || s.device().hostRuntime() != device.hostRuntime()) {
            throw new WrongDeviceException("copy: source buffer belongs to another runtime");
        }
        if (!(target instanceof HostBuffer t) || t.device().hostRuntime() != device.hostRuntime()) {
            throw new WrongDeviceException("copy: target buffer belongs to another runtime");
        }
        s.checkOpen("copy");
        t.checkOpen("copy");
        checkRange("copy (source)", s, sourceOffset, bytes);
        checkRange("copy (target)", t, targetOffset, bytes);
        enqueue("copy", List.of(s, t), () -> MemorySegment.copy(s.segment(), sourceOffset, t.segment(), targetOffset, bytes));
    }

    @Override
    public void memset(DeviceBuffer target, long offset, long bytes, byte value) {
        HostBuffer t = device.ownBuffer(target, "memset");
        checkRange("memset", t, offset, bytes);
        enqueue("memset", List.of(t), () -> t.segment().asSlice(offset, bytes).fill(value));
    }

    private static void checkRange(String operation, HostBuffer buffer, long offset, long bytes) {
        StreamChecks.range(operation, buffer, offset, bytes);
    }

    // ---- events and waits ----

    @Override
    public void record(Event event) {
        HostEvent e = ownEvent(event, HostEvent.class, "record");
        e.capture(this);
    }

    @Override
    public void waitEvent(Event event) {
        HostEvent e = ownEvent(event, HostEvent.class, "waitEvent");
        HostEvent.Capture capture = e.currentCapture();
        checkUsable("waitEvent");
        if (capture == null || capture.stream() == this) {
            return; // never recorded, or already ordered by this stream itself
        }
        waitFor(capture.stream(), capture.position(), "waitEvent");
    }

    @Override
    public void waitStream(Stream other) {
        HostStream o = device.ownStream(other, "waitStream");
        o.checkOpen("waitStream (the stream waited for)");
        checkUsable("waitStream");
        if (o == this) {
            return;
        }
        waitFor(o, o.position(), "waitStream");
    }

    private void waitFor(HostStream other, long position, String name) {
        enqueue(name + "(" + other.name() + ")", () -> {
            other.awaitPosition(position);
            Failure f = other.failureAtOrBefore(position);
            if (f != null) {
                throw new StreamFailedException(other.name(), f.operation(), f.cause());
            }
        });
    }

    @Override
    public void hostCallback(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        enqueue("hostCallback", callback);
    }

    // ---- synchronisation ----

    @Override
    public void synchronize() {
        ensureOpen("synchronize");
        long target = position();
        awaitPosition(target);
        Failure f = failure;
        if (f != null) {
            throw failureException(f);
        }
    }

    @Override
    public void synchronize(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        ensureOpen("synchronize");
        if (Thread.currentThread() == worker) {
            throw new IllegalStateException("synchronize called from a callback of stream '" + name()
                    + "' would deadlock");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            long target = enqueued;
            while (completed < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new StreamTimeoutException("stream '" + name() + "' did not drain within " + timeout + ": "
                            + (target - completed) + " operation(s) still pending");
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000), 0);
                } catch (InterruptedException e) {
                    throw WaitInterruptedException.of("stream '" + name() + "'", e);
                }
            }
        }
        Failure f = failure;
        if (f != null) {
            throw failureException(f);
        }
    }

    @Override
    public boolean isIdle() {
        long target = enqueued;
        return completed >= target;
    }

    /**
     * Aborts the stream: operations not started yet are dropped and fail with {@link HandleClosedException}; the
     * running one is interrupted and given {@code closeGrace} to return. One that does not (a host callback that
     * blocks) is reported with {@link StreamTimeoutException} after the stream was finished without it.
     */
    @Override
    protected void release() {
        Operation stuck;
        Failure closedFailure = null;
        synchronized (lock) {
            stopping = true;
            Operation firstDropped = queue.peekFirst();
            Operation firstPending = running != null ? running : firstDropped;
            if (firstPending != null) {
                closedFailure = new Failure(firstPending.position(), firstPending.name(), new HandleClosedException(
                        firstPending.name() + ": stream '" + name() + "' was closed before the operation finished"));
            }
            queue.clear();
            lock.notifyAll();
            stuck = running;
        }
        if (closedFailure != null) {
            fail(closedFailure);   // outside the lock: failure listeners (peers of a collective) are told at once
        }
        try {
            if (Thread.currentThread() != worker && stuck != null) {
                worker.interrupt();
                stopWorker(stuck);
            } else if (Thread.currentThread() != worker) {
                worker.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            device.forget(this);
        }
    }

    private void stopWorker(Operation stuck) throws InterruptedException {
        long grace = device.hostRuntime().closeGrace().toMillis();
        worker.join(Math.max(1, grace));
        if (!worker.isAlive()) {
            return;
        }
        List<Runnable> rest;
        synchronized (lock) {
            rest = exited ? List.of() : exit();
        }
        runWatchers(rest);
        throw new StreamTimeoutException("closing stream '" + name() + "': operation '" + stuck.name()
                + "' did not return within " + grace + " ms of being interrupted; its thread was abandoned");
    }

    /** The state of the stream's thread (tests check that an idle stream parks instead of spinning). */
    Thread.State threadState() {
        return worker.getState();
    }

    @Override
    public String toString() {
        return "HostStream[" + name() + " on " + device.name() + "]";
    }
}
