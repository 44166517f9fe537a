package dev.tandem.runtime.schedule;

import dev.tandem.runtime.Stream;

import java.util.Objects;
import java.util.Set;

/**
 * One named step of a layer program, issued once per micro-batch. A stage declares what it reads and writes;
 * the schedulers derive every ordering from those declarations, so a model never writes scheduling code.
 *
 * <p>Names in {@link #reads()} and {@link #writes()} refer to values of the micro-batch the stage runs for,
 * except names starting with {@value #SHARED_PREFIX}, which are shared by all micro-batches of a forward (for
 * example the key/value cache of a prefill request split across two micro-batches: the second part reads what the
 * first part wrote).
 *
 * @param <S> the per-micro-batch state the stage works on
 */
public interface Stage<S> {
    String SHARED_PREFIX = "shared:";

    /** Unique within a program, e.g. {@code L3/dispatch}. */
    String name();

    StageKind kind();

    Set<String> reads();

    Set<String> writes();

    /**
     * True when issuing the stage blocks the calling thread on device results (e.g. all-to-all-v counts copied to
     * the host). Schedulers issue independent compute before such stages so the device is never left idle.
     */
    boolean blocksHost();

    /** Enqueues the stage's work for {@code microBatch} on {@code stream}; must not synchronise other streams. */
    void issue(S microBatch, Stream stream);

    /** A stage whose work is {@code action}. */
    static <S> Stage<S> of(String name, StageKind kind, Set<String> reads, Set<String> writes, boolean blocksHost,
                           StageAction<S> action) {
        return new DeclaredStage<>(name, kind, Set.copyOf(reads), Set.copyOf(writes), blocksHost,
                Objects.requireNonNull(action, "action"));
    }

    static <S> Stage<S> compute(String name, Set<String> reads, Set<String> writes, StageAction<S> action) {
        return of(name, StageKind.COMPUTE, reads, writes, false, action);
    }

    static <S> Stage<S> comm(String name, Set<String> reads, Set<String> writes, boolean blocksHost,
                             StageAction<S> action) {
        return of(name, StageKind.COMM, reads, writes, blocksHost, action);
    }

    /** The work of a stage. */
    @FunctionalInterface
    interface StageAction<S> {
        void issue(S microBatch, Stream stream);
    }
}
