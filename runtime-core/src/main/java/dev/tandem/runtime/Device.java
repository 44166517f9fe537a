package dev.tandem.runtime;

/**
 * One accelerator (or, on the host backend, one emulated device). Creates the streams, events and buffers that
 * live on it; closing the device closes all of them.
 */
public interface Device extends AutoCloseable {

    /**
     * The device's index in its runtime.
     *
     * @return the id, from 0
     */
    int id();

    /**
     * A label for errors and traces, e.g. {@code host:0}.
     *
     * @return the name
     */
    String name();

    /**
     * Current free and total memory of the device.
     *
     * @return the backend's figures, in bytes
     */
    MemoryInfo memoryInfo();

    /**
     * The runtime that opened this device.
     *
     * @return the runtime
     */
    TandemRuntime runtime();

    /**
     * Creates a stream on this device; the device closes it when it closes.
     *
     * @param options the stream's name, role and priority
     * @return the new stream
     */
    Stream createStream(StreamOptions options);

    /**
     * Creates a compute stream of normal priority.
     *
     * @param name label for traces and error messages
     * @return the new stream
     */
    default Stream createStream(String name) {
        return createStream(StreamOptions.compute(name));
    }

    /**
     * Creates an event on this device; the device closes it when it closes.
     *
     * @param options whether the event takes timestamps
     * @return the new event, not yet recorded
     */
    Event createEvent(EventOptions options);

    /**
     * Creates an event with the default options.
     *
     * @return the new event, not yet recorded
     */
    default Event createEvent() {
        return createEvent(EventOptions.DEFAULT);
    }

    /**
     * Allocates {@code bytes} bytes, ordered on {@code stream} (no default stream: the order is always explicit).
     *
     * @param bytes  the size, positive
     * @param stream the stream the allocation (and later the free) is ordered on
     * @return the buffer
     * @throws DeviceOutOfMemoryException if the device cannot hold it
     * @throws InvalidArgumentException if {@code bytes} is not positive
     */
    DeviceBuffer allocate(long bytes, Stream stream);

    /**
     * The kernels of this device.
     *
     * @return the kernels, enqueued on whichever stream a call names
     */
    Kernels kernels();

    /** Blocks until every stream of this device is idle; throws the first stream failure found. */
    void synchronize();

    /**
     * True once {@link #close()} has begun.
     *
     * @return whether the device is closing or closed
     */
    boolean isClosed();

    @Override
    void close();
}
