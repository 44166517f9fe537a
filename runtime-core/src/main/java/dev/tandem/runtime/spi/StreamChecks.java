package dev.tandem.runtime.spi;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.OutOfRangeException;

/**
 * Argument checks of {@link dev.tandem.runtime.Stream} copies, written once for the backends that implement them
 * (the rules of {@link dev.tandem.runtime.Event#elapsedMillis} are {@link EventRules}).
 */
public final class StreamChecks {
    private StreamChecks() {
    }

    /**
     * Bytes {@code [offset, offset + bytes)} lie inside {@code buffer}.
     *
     * @param operation the operation checked, named in the error
     * @param buffer    the buffer addressed
     * @param offset    first byte of the range
     * @param bytes     length of the range
     * @throws dev.tandem.runtime.OutOfRangeException if the range is negative or extends past the buffer
     */
    public static void range(String operation, DeviceBuffer buffer, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset > buffer.byteSize() || bytes > buffer.byteSize() - offset) {
            throw new OutOfRangeException(operation + ": range [" + offset + ", " + offset + " + " + bytes
                    + ") is outside the buffer of " + buffer.byteSize() + " bytes");
        }
    }
}
