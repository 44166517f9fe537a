package dev.tandem.runtime.sim;

import dev.tandem.runtime.Event;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.spi.EventHandle;
import dev.tandem.runtime.spi.EventRules;


/** A simulated event: the most recent capture of (stream, position); its time is that position's virtual end. */
final class SimEvent extends EventHandle<SimDevice> {
    private volatile Capture capture;

    /** One record: the stream and the position it captured. */
    record Capture(SimStream stream, long position) {
    }

    SimEvent(SimDevice device, boolean timing) {
        super(device, timing);
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
        synchronized (device().simRuntime().lock()) {
            f = c.stream().failureAtOrBefore(c.position());
        }
        if (f != null) {
            throw new StreamFailedException(c.stream().name(), f.operation(), f.cause());
        }
    }

    @Override
    public float elapsedMillis(Event start) {
        EventRules.checkElapsed(this, start, e -> ((SimEvent) e).capture != null);
        Capture end = capture;
        Capture begin = ((SimEvent) start).capture;
        synchronized (device().simRuntime().lock()) {
            return (end.stream().timeAt(end.position()) - begin.stream().timeAt(begin.position())) / 1_000_000f;
        }
    }

    void checkOpen(String operation) {
        ensureOpen(operation);
    }

    @Override
    protected void release() {
        device().forget(this);
    }
}
