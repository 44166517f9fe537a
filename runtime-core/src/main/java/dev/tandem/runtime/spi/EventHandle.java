package dev.tandem.runtime.spi;

import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;

/**
 * The base of every backend's event: a {@link Handle} that knows its device and whether it takes timestamps.
 *
 * @param <D> the backend's device type
 */
public abstract class EventHandle<D extends Device> extends Handle implements Event {
    private final D device;
    private final boolean timing;

    /**
     * Registers the event.
     *
     * @param device the device the event belongs to
     * @param timing whether the event takes timestamps for {@code elapsedMillis}
     */
    protected EventHandle(D device, boolean timing) {
        super((timing ? "timing event" : "event") + " on " + device.name());
        this.device = device;
        this.timing = timing;
    }

    @Override
    public final D device() {
        return device;
    }

    @Override
    public final boolean isTiming() {
        return timing;
    }
}
