package dev.tandem.runtime;

/**
 * A marker in a stream's work, with CUDA/ACL semantics: {@link Stream#record(Event)} captures the work
 * enqueued so far on that stream; the event is done once that work has finished. A never-recorded event is
 * done, and waiting on it does nothing. Recording again replaces the capture.
 */
public interface Event extends AutoCloseable {

    /**
     * The device whose streams the event can be recorded on.
     *
     * @return the device
     */
    Device device();

    /**
     * Whether this event captures timestamps (see {@link EventOptions#timing()}).
     *
     * @return true for a timing event
     */
    boolean isTiming();

    /**
     * True when the event was never recorded, or its captured work has finished.
     *
     * @return whether the event is done; never blocks
     */
    boolean isDone();

    /** Blocks until {@link #isDone()}; throws {@link StreamFailedException} if the captured work failed. */
    void synchronize();

    /**
     * Milliseconds between {@code start}'s completion and this event's completion. Both must be timing events
     * that were recorded and are done. Every backend applies the same rules
     * ({@link dev.tandem.runtime.spi.EventRules#checkElapsed}): a null {@code start} throws
     * {@code NullPointerException}; a closed event {@link HandleClosedException}; a start event of another device
     * {@link WrongDeviceException}; an event without timing {@link InvalidArgumentException}; an event never
     * recorded or not done yet {@link NotReadyException}.
     *
     * @param start the earlier event
     * @return elapsed milliseconds
     */
    float elapsedMillis(Event start);

    /**
     * True once {@link #close()} has begun.
     *
     * @return whether the event is closing or closed
     */
    boolean isClosed();

    @Override
    void close();
}
