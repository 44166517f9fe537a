package dev.tandem.runtime.spi;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.OutOfRangeException;

/**
 * Argument and state checks of {@link dev.tandem.runtime.Stream} copies and
 * {@link dev.tandem.runtime.Event#elapsedMillis}, written once for the backends that implement them.
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

    /**
     * The preconditions of {@code end.elapsedMillis(start)}: both timing events, both recorded, both completed.
     */
    public static void elapsed(boolean endTiming, boolean startTiming, boolean endRecorded, boolean startRecorded,
                               boolean bothCompleted) {
        if (!endTiming || !startTiming) {
            throw new IllegalStateException("elapsedMillis needs two timing events (create them with EventOptions.TIMING); "
                    + (endTiming ? "the start event" : "this event") + " has timing disabled");
        }
        if (!endRecorded || !startRecorded) {
            throw new IllegalStateException("elapsedMillis: " + (!startRecorded ? "the start event" : "this event")
                    + " was never recorded");
        }
        if (!bothCompleted) {
            throw new IllegalStateException("elapsedMillis: an event has not completed yet; synchronize it first");
        }
    }
}
