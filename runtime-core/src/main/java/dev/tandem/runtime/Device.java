package dev.tandem.runtime;

/**
 * One accelerator (or, on the host backend, one emulated device). Creates the streams, events and buffers that
 * live on it; closing the device closes all of them.
 */
public interface Device extends AutoCloseable {

    int id();

    String name();

    MemoryInfo memoryInfo();

    TandemRuntime runtime();

    Stream createStream(StreamOptions options);

    default Stream createStream(String name) {
        return createStream(StreamOptions.compute(name));
    }

    Event createEvent(EventOptions options);

    default Event createEvent() {
        return createEvent(EventOptions.DEFAULT);
    }

    /** Allocates {@code bytes} bytes, ordered on {@code stream} (no default stream: the order is always explicit). */
    DeviceBuffer allocate(long bytes, Stream stream);

    /** The kernels of this device. */
    Kernels kernels();

    /** Blocks until every stream of this device is idle; throws the first stream failure found. */
    void synchronize();

    boolean isClosed();

    @Override
    void close();
}
