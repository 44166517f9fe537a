package dev.tandem.deepseek.schedule;

import dev.tandem.runtime.Stream;

import java.util.List;

/**
 * One named step of a decoder layer, bound to a rank and a layer. It reads and writes named per-micro-batch state
 * ({@link MicroBatch}) and enqueues its device work on the stream it is given, nothing else: it never picks a
 * stream, never synchronizes a stream or device, and orders itself after other streams only through the state it
 * reads (events stored by earlier stages). A scheduler decides the stream and the interleaving.
 *
 * <p>A stage with {@link #hostWait()} blocks the issuing thread until device work of earlier stages of the same
 * micro-batch has finished (it waits on an {@link dev.tandem.runtime.Event} that an earlier stage recorded after
 * a download). Schedulers should issue independent work (another micro-batch, or a later independent stage) before
 * it, so the device is not idle while the host waits.
 */
public interface Stage {

    /** Short name used in trace tags, e.g. {@code dispatch}. */
    String name();

    StageKind kind();

    /** State names this stage reads (must be written earlier in the layer, or carried in by the micro-batch). */
    List<String> reads();

    /** State names this stage writes. */
    List<String> writes();

    /** Whether issuing blocks the host on device work recorded by earlier stages of this micro-batch. */
    boolean hostWait();

    /** Enqueues the stage's work for {@code mb} on {@code stream}. */
    void issue(MicroBatch mb, Stream stream);
}
