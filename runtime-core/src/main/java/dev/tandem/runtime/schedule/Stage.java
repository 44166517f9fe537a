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
    /**
     * Prefix of value names shared by all micro-batches of a forward rather than private to one.
     */
    String SHARED_PREFIX = "shared:";

    /**
     * The stage's name.
     *
     * @return a name unique within a program, e.g. {@code L3/dispatch}
     */
    String name();

    /**
     * Whether the stage computes or communicates; decides the stream an overlapped schedule issues it on.
     *
     * @return the kind
     */
    StageKind kind();

    /**
     * The values the stage reads.
     *
     * @return value names; see the class comment for shared names
     */
    Set<String> reads();

    /**
     * The values the stage writes.
     *
     * @return value names; see the class comment for shared names
     */
    Set<String> writes();

    /**
     * True when issuing the stage blocks the calling thread on device results (e.g. all-to-all-v counts copied to
     * the host). Schedulers issue independent compute before such stages so the device is never left idle.
     *
     * @return true if issuing the stage waits for the device
     */
    boolean blocksHost();

    /**
     * Enqueues the stage's work for {@code microBatch} on {@code stream}; must not synchronise other streams.
     *
     * @param microBatch the state of the micro-batch to run the stage for
     * @param stream     the stream to enqueue on
     */
    void issue(S microBatch, Stream stream);

    /**
     * A stage whose work is {@code action}.
     *
     * @param <S>        the per-micro-batch state
     * @param name       unique within a program
     * @param kind       compute or communication
     * @param reads      the values read; copied
     * @param writes     the values written; copied
     * @param blocksHost whether issuing the stage waits for device results
     * @param action     the work
     * @return the stage
     */
    static <S> Stage<S> of(String name, StageKind kind, Set<String> reads, Set<String> writes, boolean blocksHost,
                           StageAction<S> action) {
        return new DeclaredStage<>(name, kind, Set.copyOf(reads), Set.copyOf(writes), blocksHost,
                Objects.requireNonNull(action, "action"));
    }

    /**
     * A compute stage that does not block the host.
     *
     * @param <S>    the per-micro-batch state
     * @param name   unique within a program
     * @param reads  the values read
     * @param writes the values written
     * @param action the work
     * @return the stage
     */
    static <S> Stage<S> compute(String name, Set<String> reads, Set<String> writes, StageAction<S> action) {
        return of(name, StageKind.COMPUTE, reads, writes, false, action);
    }

    /**
     * A communication stage.
     *
     * @param <S>        the per-micro-batch state
     * @param name       unique within a program
     * @param reads      the values read
     * @param writes     the values written
     * @param blocksHost whether issuing the stage waits for device results
     * @param action     the work
     * @return the stage
     */
    static <S> Stage<S> comm(String name, Set<String> reads, Set<String> writes, boolean blocksHost,
                             StageAction<S> action) {
        return of(name, StageKind.COMM, reads, writes, blocksHost, action);
    }

    /**
     * The work of a stage.
     *
     * @param <S> the per-micro-batch state
     */
    @FunctionalInterface
    interface StageAction<S> {
        /**
         * Enqueues the work; must not synchronise other streams.
         *
         * @param microBatch the state of the micro-batch
         * @param stream     the stream to enqueue on
         */
        void issue(S microBatch, Stream stream);
    }
}
