package dev.tandem.runtime.spi;

import dev.tandem.runtime.Event;
import dev.tandem.runtime.EventOptions;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.StreamRole;
import dev.tandem.runtime.WrongDeviceException;

import java.util.Objects;

/**
 * The base of every backend's stream: a {@link Handle} that keeps its {@link StreamOptions} and trace tag, and
 * records into a fresh event the same way everywhere.
 */
public abstract class StreamHandle extends Handle implements Stream {
    private final StreamOptions options;
    private volatile String tag;

    /**
     * {@code description} names the stream in leak reports and closed-handle errors.
     *
     * @param description names the stream in leak reports and closed-handle errors
     * @param options     the stream's options
     */
    protected StreamHandle(String description, StreamOptions options) {
        super(description);
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public final String name() {
        return options.name();
    }

    @Override
    public final StreamRole role() {
        return options.role();
    }

    @Override
    public final int priority() {
        return options.priority();
    }

    @Override
    public final String traceTag(String newTag) {
        String previous = tag;
        tag = newTag;
        return previous;
    }

    /** Creates an event, records it here and returns it; the event is closed again if the record fails. */
    @Override
    public final Event record() {
        ensureOpen("record");
        Event event = device().createEvent(EventOptions.DEFAULT);
        try {
            record(event);
        } catch (RuntimeException e) {
            event.close();
            throw e;
        }
        return event;
    }

    /**
     * {@code event} as an open event of this stream's device and of type {@code type}; otherwise
     * {@link WrongDeviceException} or {@link HandleClosedException} naming {@code operation}.
     *
     * @param <E>       the backend's event type
     * @param event     the event passed by the caller
     * @param type      the backend's event class
     * @param operation the operation, named in errors
     * @return {@code event}, cast to {@code type}
     */
    protected final <E extends Event> E ownEvent(Event event, Class<E> type, String operation) {
        Objects.requireNonNull(event, "event");
        if (!type.isInstance(event) || event.device() != device()) {
            throw new WrongDeviceException(operation + ": event from " + event.device().name()
                    + " used on stream '" + name() + "' of " + device().name());
        }
        if (event.isClosed()) {
            throw new HandleClosedException(operation + ": the event is closed");
        }
        return type.cast(event);
    }

    /**
     * The tag that operations enqueued now carry in traces, or null.
     *
     * @return the current trace tag, or null
     */
    protected final String tag() {
        return tag;
    }
}
