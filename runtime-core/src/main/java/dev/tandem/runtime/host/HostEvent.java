package dev.tandem.runtime.host;

import dev.tandem.runtime.Event;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.WrongDeviceException;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/** An event: the most recent capture of (stream, position), plus a timestamp when timing is on. */
final class HostEvent implements Event {
    private final HostDevice device;
    private final boolean timing;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LeakTracker.Registration registration;
    private volatile Capture capture;

    /** One record: the stream and the position it captured; the marker operation fills the timestamp. */
    static final class Capture {
        private final HostStream stream;
        private volatile long position;
        private volatile long timestampNanos = -1;

        Capture(HostStream stream) {
            this.stream = stream;
        }

        HostStream stream() {
            return stream;
        }

        long position() {
            return position;
        }
    }

    HostEvent(HostDevice device, boolean timing) {
        this.device = device;
        this.timing = timing;
        this.registration = LeakTracker.global().track((timing ? "timing event" : "event") + " on " + device.name());
    }

    @Override
    public HostDevice device() {
        return device;
    }

    @Override
    public boolean isTiming() {
        return timing;
    }

    void capture(HostStream stream) {
        Capture c = new Capture(stream);
        long position = stream.enqueue("record", () -> {
            if (timing) {
                c.timestampNanos = System.nanoTime();
            }
        });
        c.position = position;
        capture = c;
    }

    Capture currentCapture() {
        return capture;
    }

    @Override
    public boolean isDone() {
        checkOpen("isDone");
        Capture c = capture;
        return c == null || c.stream.reached(c.position);
    }

    @Override
    public void synchronize() {
        checkOpen("synchronize");
        Capture c = capture;
        if (c == null) {
            return;
        }
        c.stream.awaitPosition(c.position);
        HostStream.Failure f = c.stream.failureAtOrBefore(c.position);
        if (f != null) {
            throw new StreamFailedException(c.stream.name(), f.operation(), f.cause());
        }
    }

    @Override
    public float elapsedMillis(Event start) {
        Objects.requireNonNull(start, "start");
        checkOpen("elapsedMillis");
        if (!(start instanceof HostEvent s) || s.device != device) {
            throw new WrongDeviceException("elapsedMillis: start event belongs to another device");
        }
        s.checkOpen("elapsedMillis");
        Capture end = capture;
        Capture begin = s.capture;
        dev.tandem.runtime.spi.StreamChecks.elapsed(timing, s.timing, end != null, begin != null,
                end != null && begin != null && end.stream.reached(end.position) && begin.stream.reached(begin.position));
        if (end.timestampNanos < 0 || begin.timestampNanos < 0) {
            throw new IllegalStateException("elapsedMillis: the stream failed before the event's timestamp was taken");
        }
        return (end.timestampNanos - begin.timestampNanos) / 1_000_000f;
    }

    void checkOpen(String operation) {
        if (closed.get()) {
            throw new IllegalStateException(operation + ": event is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            device.forget(this);
            registration.release();
        }
    }
}
