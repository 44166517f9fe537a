package dev.tandem.runtime.host;

import dev.tandem.runtime.Event;
import dev.tandem.runtime.NotReadyException;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.spi.EventHandle;
import dev.tandem.runtime.spi.EventRules;


/** An event: the most recent capture of (stream, position), plus a timestamp when timing is on. */
final class HostEvent extends EventHandle<HostDevice> {
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
        super(device, timing);
    }

    void capture(HostStream stream) {
        Capture c = new Capture(stream);
        long position = stream.enqueue("record", () -> {
            if (isTiming()) {
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
        EventRules.checkElapsed(this, start, e -> ((HostEvent) e).capture != null);
        Capture end = capture;
        Capture begin = ((HostEvent) start).capture;
        if (end.timestampNanos < 0 || begin.timestampNanos < 0) {
            throw new NotReadyException("elapsedMillis: the stream failed or closed before the event's timestamp "
                    + "was taken");
        }
        return (end.timestampNanos - begin.timestampNanos) / 1_000_000f;
    }

    void checkOpen(String operation) {
        ensureOpen(operation);
    }

    @Override
    protected void release() {
        device().forget(this);
    }
}
