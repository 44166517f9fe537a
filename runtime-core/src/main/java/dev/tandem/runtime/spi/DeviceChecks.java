package dev.tandem.runtime.spi;

import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Stream;

/** Argument checks of {@link dev.tandem.runtime.Device} methods, written once for every backend. */
public final class DeviceChecks {
    private DeviceChecks() {
    }

    /**
     * An allocation of {@code bytes} bytes ordered on {@code stream}: a positive size and an open stream.
     *
     * @param bytes  the requested size
     * @param stream the stream the allocation is ordered on
     * @throws dev.tandem.runtime.InvalidArgumentException if {@code bytes} is not positive
     */
    public static void allocation(long bytes, Stream stream) {
        if (bytes <= 0) {
            throw new InvalidArgumentException("allocation size must be positive, got " + bytes + " bytes");
        }
        if (stream != null && stream.isClosed()) {
            throw new HandleClosedException("allocate: the allocation stream '" + stream.name() + "' is closed");
        }
    }
}
