package dev.tandem.runtime.sim;

import dev.tandem.runtime.Event;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.WrongDeviceException;

import java.util.Objects;

/** A simulated event: the most recent capture of (stream, position); its time is that position's virtual end. */
final class SimEvent implements Event {
    private final SimDevice device;
    private final boolean timing;
    private volatile Capture capture;
    private volatile boolean closed;

    /** One record: the stream and the position it captured. */
    record Capture(SimStream stream, long position) {
    }

    SimEvent(SimDevice device, boolean timing) {
        this.device = device;
        this.timing = timing;
    }

    @Override
    public SimDevice device() {
        return device;
    }

    @Override
    public boolean isTiming() {
        return timing;
    }

    void capture(SimStream stream, long position) {
        capture = new Capture(stream, position);
    }

    Capture currentCapture() {
        return capture;
    }

    @Override
    public boolean isDone() {
        checkOpen("isDone");
        Capture c = capture;
        return c == null || c.stream().reached(c.position());
    }

    @Override
    public void synchronize() {
        checkOpen("synchronize");
        Capture c = capture;
        if (c == null) {
            return;
        }
        c.stream().awaitPosition(c.position(), Long.MAX_VALUE / 4);
        SimStream.Failure f;
        synchronized (device.simRuntime().lock()) {
            f = c.stream().failureAtOrBefore(c.position());
        }
        if (f != null) {
            throw new StreamFailedException(c.stream().name(), f.operation(), f.cause());
        }
    }

    @Override
    public float elapsedMillis(Event start) {
        Objects.requireNonNull(start, "start");
        checkOpen("elapsedMillis");
        if (!(start instanceof SimEvent s) || s.device != device) {
            throw new WrongDeviceException("elapsedMillis: start event belongs to another device");
        }
        s.checkOpen("elapsedMillis");
        Capture end = capture;
        Capture begin = s.capture;
        dev.tandem.runtime.spi.StreamChecks.elapsed(timing, s.timing, end != null, begin != null,
                end != null && begin != null && end.stream().reached(end.position())
                        && begin.stream().reached(begin.position()));
        synchronized (device.simRuntime().lock()) {
            return (end.stream().timeAt(end.position()) - begin.stream().timeAt(begin.position())) / 1_000_000f;
        }
    }

    void checkOpen(String operation) {
        if (closed) {
            throw new IllegalStateException(operation + ": event is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.forget(this);
        }
    }
}
