package dev.tandem.runtime;

/**
 * Device memory with a stream-ordered lifetime: it is allocated in the order of its allocation stream, and
 * {@link #close()} frees it in that order too, after waiting (via events) for every other stream that used it.
 * Close therefore never blocks the caller and never frees memory still in use.
 */
public interface DeviceBuffer extends AutoCloseable {

    /**
     * The device the memory is on.
     *
     * @return the device
     */
    Device device();

    /**
     * The buffer's size.
     *
     * @return size in bytes, positive
     */
    long byteSize();

    /**
     * The stream the buffer was allocated on; its free is ordered on the same stream.
     *
     * @return the allocation stream
     */
    Stream allocationStream();

    /**
     * True once {@link #close()} has been called.
     *
     * @return whether the buffer is freed or being freed
     */
    boolean isClosed();

    /** Stream-ordered free; idempotent and thread-safe. */
    @Override
    void close();
}
