package dev.tandem.runtime.spi;

import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.LeakTracker;

import java.lang.ref.Cleaner;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * The one base of every backend handle (runtime, device, stream, event, buffer, communicator): the closed flag,
 * leak registration ({@link LeakTracker} and a {@link Cleaner} that reports a handle collected while still open,
 * never frees it), {@link #ensureOpen}, an idempotent thread-safe {@link #close()}, and usage counting so that
 * close waits for calls in flight, as ONNX Runtime's native-object base does.
 *
 * <p>Subclasses put their release in {@link #release()} (children first through {@link Closer}, then their own
 * resource); it runs exactly once, after every {@link #use} section that started before close has ended. A use
 * section must be short (an enqueue, a native call) and must not close its own handle.
 */
public abstract class Handle implements AutoCloseable {
    private static final Cleaner LEAKS = Cleaner.create(Thread.ofPlatform().daemon().name("tandem-leaks").factory());
    private static final System.Logger LOG = System.getLogger("dev.tandem.runtime");

    private final State state;
    private final LeakTracker.Registration registration;
    private final Usage usage = new Usage();

    /** What the Cleaner keeps: it must never reference the handle itself. */
    private static final class State implements Runnable {
        private final String description;
        private volatile boolean closed;
        private int users;

        State(String description) {
            this.description = description;
        }

        @Override
        public void run() {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "{0} was never closed; its resources stay allocated until its "
                        + "parent closes", description);
            }
        }
    }

    /** An open use of a handle: {@link #close()} it (try-with-resources) when the call is done. */
    public final class Usage implements AutoCloseable {
        private Usage() {
        }

        @Override
        public void close() {
            synchronized (state) {
                if (--state.users == 0) {
                    state.notifyAll();
                }
            }
        }
    }

    /**
     * Registers the handle; {@code description} names it in leak reports and closed-handle errors.
     *
     * @param description names the handle in leak reports and closed-handle errors, e.g. {@code stream 'main' on host:0}
     */
    protected Handle(String description) {
        this.state = new State(description);
        this.registration = LeakTracker.global().track(description);
        LEAKS.register(this, state);
    }

    /**
     * True once {@link #close()} has begun.
     *
     * @return whether the handle is closing or closed
     */
    public final boolean isClosed() {
        return state.closed;
    }

    /**
     * What this handle is, as in leak reports ("stream 'main' on host:0").
     *
     * @return the description given at construction
     */
    protected final String description() {
        return state.description;
    }

    /**
     * Throws {@link HandleClosedException} naming {@code operation} if this handle is closed.
     *
     * @param operation the operation attempted, named in the error
     * @throws HandleClosedException if the handle is closed
     */
    protected final void ensureOpen(String operation) {
        if (state.closed) {
            throw closedError(operation);
        }
    }

    /**
     * The exception for using this handle after close.
     *
     * @param operation the operation attempted, named in the message
     * @return the exception, not thrown
     */
    protected final HandleClosedException closedError(String operation) {
        return new HandleClosedException(operation + ": " + state.description + " is closed");
    }

    /**
     * Starts a call that close must wait for; throws {@link HandleClosedException} if the handle is closed. Use as
     * {@code try (var u = use("enqueue")) { ... }}.
     *
     * @param operation the operation starting, named in the error
     * @return the usage to close when the call ends
     * @throws HandleClosedException if the handle is closed
     */
    protected final Usage use(String operation) {
        synchronized (state) {
            if (state.closed) {
                throw closedError(operation);
            }
            state.users++;
        }
        return usage;
    }

    /**
     * Creates a child while this handle is open and remembers it in {@code children} (which the handle closes in
     * {@link #release()}); throws {@link HandleClosedException} naming {@code operation} once closed.
     *
     * @param <T>       the child's type
     * @param operation the operation creating the child, named in the error
     * @param children  the collection the child is added to
     * @param create    creates the child
     * @return the child
     * @throws HandleClosedException if the handle is closed
     */
    protected final <T> T adopt(String operation, Collection<? super T> children, Supplier<? extends T> create) {
        ensureOpen(operation);
        T child = create.get();
        children.add(child);
        return child;
    }

    /**
     * For a constructor that fails after registering: marks the handle closed and forgets it without running
     * {@link #release()} (the constructor frees what it had created itself).
     */
    protected final void abandon() {
        synchronized (state) {
            state.closed = true;
        }
        registration.release();
    }

    /**
     * Closes the handle: marks it closed (new calls fail), waits for the calls in flight, then runs
     * {@link #release()} once. Later and concurrent calls return at once. Thread-safe.
     */
    @Override
    public final void close() {
        synchronized (state) {
            if (state.closed) {
                return;
            }
            state.closed = true;
            boolean interrupted = false;
            while (state.users > 0) {
                try {
                    state.wait();
                } catch (InterruptedException e) {
                    interrupted = true;   // close must finish; the flag is restored below
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            release();
        } finally {
            registration.release();
        }
    }

    /** Releases children (in a fixed order, through {@link Closer}) and then this handle's own resource. */
    protected abstract void release();
}
