package dev.tandem.runtime.spi;

import dev.tandem.runtime.Event;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.NotReadyException;
import dev.tandem.runtime.WrongDeviceException;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * The rules of {@link Event#elapsedMillis(Event)}, written once for every backend (as c10 writes its inline
 * event once). A backend calls {@link #checkElapsed} first and only then reads its two timestamps.
 */
public final class EventRules {
    private EventRules() {
    }

    /**
     * Checks that {@code end.elapsedMillis(start)} may be answered, in this order: {@code start} non-null
     * ({@code NullPointerException}); both open ({@link HandleClosedException}); both on the same device
     * ({@link WrongDeviceException}, also for an event of another backend or runtime); both timing events
     * ({@link InvalidArgumentException}); both recorded and done ({@link NotReadyException}).
     *
     * @param recorded whether an event of this backend was ever recorded (called only on events of the same
     *                 device as {@code end})
     * @param end      the event {@code elapsedMillis} is called on
     * @param start    the event passed to it
     */
    public static void checkElapsed(Event end, Event start, Predicate<Event> recorded) {
        Objects.requireNonNull(start, "start");
        if (end.isClosed() || start.isClosed()) {
            throw new HandleClosedException("elapsedMillis: " + (end.isClosed() ? "this event" : "the start event")
                    + " is closed");
        }
        if (start.getClass() != end.getClass() || start.device() != end.device()) {
            throw new WrongDeviceException("elapsedMillis: the start event belongs to " + start.device()
                    + ", this event to " + end.device() + "; both must belong to one device");
        }
        if (!end.isTiming() || !start.isTiming()) {
            throw new InvalidArgumentException("elapsedMillis needs two timing events (create them with "
                    + "EventOptions.TIMING); " + (start.isTiming() ? "this event" : "the start event")
                    + " has timing disabled");
        }
        if (!recorded.test(start) || !recorded.test(end)) {
            throw new NotReadyException("elapsedMillis: " + (recorded.test(start) ? "this event" : "the start event")
                    + " was never recorded");
        }
        if (!start.isDone() || !end.isDone()) {
            throw new NotReadyException("elapsedMillis: " + (start.isDone() ? "this event" : "the start event")
                    + " has not completed yet; synchronize it first");
        }
    }
}
