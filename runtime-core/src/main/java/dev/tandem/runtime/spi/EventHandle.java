package dev.tandem.runtime.spi;

import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;

/** The base of every backend's event: a {@link Handle} that knows its device and whether it takes timestamps. */
public abstract class EventHandle<D extends Device> extends Handle implements Event {
    private final D device;
    private final boolean timing;

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
