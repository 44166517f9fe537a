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

    /** Bytes {@code [offset, offset + bytes)} lie inside {@code buffer}. */
    public static void range(String operation, DeviceBuffer buffer, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset > buffer.byteSize() || bytes > buffer.byteSize() - offset) {
            throw new OutOfRangeException(operation + ": range [" + offset + ", " + offset + " + " + bytes
                    + ") is outside the buffer of " + buffer.byteSize() + " bytes");
        }
    }
}
