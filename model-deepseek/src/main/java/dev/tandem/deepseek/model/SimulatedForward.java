package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.ConfigException;
import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.schedule.Schedule;
import dev.tandem.runtime.schedule.ScheduleRunner;
import dev.tandem.runtime.schedule.Schedules;
import dev.tandem.runtime.schedule.StageProgram;
import dev.tandem.runtime.sim.SimRuntime;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.trace.TraceSpan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A decoder-layer stack on a {@link SimRuntime}: the same {@link RankContext}s, {@link DeviceLayer}s, stage
 * programs ({@link DecoderLayers#program}) and schedules ({@link Schedules}, {@link ScheduleRunner}) as
 * {@link DecoderRunner}, with shape-only weights and inputs, so full-size models fit. One virtual thread issues
 * each simulated rank's schedule (stages block their host thread on count downloads, as on real devices).
 *
 * <p>It simulates either every rank of the expert-parallel group or a representative subset: the first
 * {@code simulatedRanks} ranks of a group of {@code ranks}, on communicators that report the whole group's size
 * ({@link SimRuntime#createCommunicators(List, CommunicatorOptions, int)}). Each simulated rank then holds
 * {@code n_routed_experts / ranks} experts (and, under TP attention, {@code heads / ranks} heads) and its
 * collectives cost what they cost in the full group, while the other ranks mirror the simulated ones. That is
 * only valid when every rank would behave the same (the same batch on every rank and the same expert load); the
 * caller decides (as {@code CapacityPlanner} does).
 */
public final class SimulatedForward implements AutoCloseable {

    /**
     * One request's part of a step on one rank.
     *
     * @param tokens new tokens in this micro-batch
     * @param cached tokens the request has cached before the step (a decode request's context)
     */
    public record Part(int tokens, int cached) {
    }

    /**
     * One simulated step.
     *
     * @param wallNanos    virtual time from the step's first issue to the last device's end
     * @param spans        the step's trace spans (virtual nanoseconds)
     * @param contextBytes per simulated rank, the device bytes of its requests' cached context (the KV cache of the
     *                     tokens before this step), which the simulation allocates when the step starts but a
     *                     deployment holds before it
     */
    public record Step(long wallNanos, List<TraceSpan> spans, List<Long> contextBytes) {
        /** Copies the list. */
        public Step {
            contextBytes = List.copyOf(contextBytes);
        }
    }

    /** Real time a simulated rank may wait at a collective for the others before the step fails. */
    static final Duration RENDEZVOUS_TIMEOUT = Duration.ofMinutes(30);

    private final SimRuntime runtime;
    private final DeepSeekConfig config;
    private final List<Communicator> comms;
    private final List<RankContext> ranks = new ArrayList<>();
    private final List<List<DeviceLayer>> layers = new ArrayList<>();
    private final List<StageProgram<DecoderMicroBatch>> programs = new ArrayList<>();
    private final List<ScheduleRunner> runners = new ArrayList<>();
    /** Each rank's schedules by (overlapped, micro-batches): immutable, built once per machine, reused by every step. */
    private final List<java.util.Map<Integer, Schedule<DecoderMicroBatch>>> schedules = new ArrayList<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * Builds every rank: its context, shape-only layers, stage program and schedule runner.
     *
     * @param layerCount first {@code layerCount} decoder layers of the model
     * @param ranks      expert-parallel ranks (one device each); heads are split over them under TP attention
     * @param runtime   the simulated runtime, with at least {@code ranks} devices
     * @param config    the model config
     * @param attention how attention is parallelised over the ranks
     * @throws dev.tandem.deepseek.config.ConfigException if {@code layerCount} is out of range, or the experts (or, under
     *         TP, the heads) are not divisible by {@code ranks}
     */
    public SimulatedForward(SimRuntime runtime, DeepSeekConfig config, int layerCount, int ranks, AttentionMode attention) {
        this(runtime, config, layerCount, ranks, ranks, attention);
    }

    /**
     * Builds the first {@code simulatedRanks} ranks of an expert-parallel group of {@code ranks}: their contexts,
     * shape-only layers, stage programs and schedule runners, on communicators of {@code ranks} ranks whose other
     * ranks mirror the simulated ones (valid only when every rank behaves the same: see the class comment).
     *
     * @param runtime        the simulated runtime, with at least {@code simulatedRanks} devices
     * @param config         the model config
     * @param layerCount     first {@code layerCount} decoder layers of the model
     * @param ranks          expert-parallel ranks of the modelled group (one device each)
     * @param simulatedRanks ranks actually simulated, a divisor of {@code ranks} ({@code ranks}: all of them)
     * @param attention      how attention is parallelised over the ranks
     * @throws dev.tandem.deepseek.config.ConfigException if {@code layerCount} is out of range, the experts (or,
     *         under TP, the heads) are not divisible by {@code ranks}, or {@code simulatedRanks} does not divide
     *         {@code ranks}
     */
    public SimulatedForward(SimRuntime runtime, DeepSeekConfig config, int layerCount, int ranks, int simulatedRanks,
                            AttentionMode attention) {
        this.runtime = runtime;
        this.config = config;
        if (layerCount < 1 || layerCount > config.numHiddenLayers()) {
            throw new ConfigException("layer count " + layerCount + " is outside 1.." + config.numHiddenLayers());
        }
        if (config.nRoutedExperts() % ranks != 0) {
            throw new ConfigException("n_routed_experts (" + config.nRoutedExperts() + ") must be divisible by the "
                    + ranks + " expert-parallel ranks");
        }
        if (attention == AttentionMode.TP && config.numAttentionHeads() % ranks != 0) {
            throw new ConfigException("num_attention_heads (" + config.numAttentionHeads()
                    + ") must be divisible by the " + ranks + " tensor-parallel ranks");
        }
        if (simulatedRanks < 1 || ranks % simulatedRanks != 0) {
            throw new ConfigException("the " + simulatedRanks + " simulated ranks must divide the group's " + ranks);
        }
        List<Device> devices = runtime.devices().subList(0, simulatedRanks);
        // The rendezvous timeout counts real time: every rank here is driven by this class, so only a bug leaves one
        // behind, while simulating hundreds of ranks of a large decode step can legitimately take minutes between
        // two collectives on a slow machine (the default minute failed such a step spuriously).
        this.comms = runtime.createCommunicators(devices, CommunicatorOptions.defaults()
                .withTimeout(RENDEZVOUS_TIMEOUT), ranks);
        try {
            for (int r = 0; r < simulatedRanks; r++) {
                RankContext rc = new RankContext(config, attention, comms.get(r), DType.BF16, MlaMode.AUTO);
                this.ranks.add(rc);
                List<DeviceLayer> ls = new ArrayList<>();
                for (int l = 0; l < layerCount; l++) {
                    ls.add(DeviceLayer.shapesOnly(rc, l, rc.computeStream()));
                }
                layers.add(ls);
                programs.add(DecoderLayers.program(rc, ls));
                runners.add(new ScheduleRunner(rc.computeStream(), rc.commStream()));
                schedules.add(new java.util.concurrent.ConcurrentHashMap<>());
                rc.computeStream().synchronize();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * How many ranks are simulated: the group's size, or fewer when the others mirror them.
     *
     * @return the number of simulated ranks, whose parts {@link #run} takes
     */
    public int simulatedRanks() {
        return ranks.size();
    }

    /**
     * The stage program of rank {@code r}: the object a real run of the same layers issues.
     *
     * @param r the rank index
     * @return its stage program
     */
    public StageProgram<DecoderMicroBatch> program(int r) {
        return programs.get(r);
    }

    /**
     * Runs one step. {@code perRank.get(r).get(m)} lists simulated rank r's request parts in micro-batch m; a request that
     * continues in a later micro-batch is listed again there (same index in each list of parts is not required:
     * parts are matched by {@code requestIds}). With {@code overlapped}, the schedule is dual-batch overlap
     * ({@link Schedules#overlapped}), otherwise {@link Schedules#sequential}.
     *
     * @param requestIds {@code requestIds.get(r).get(m).get(i)} identifies part i (a split prefill keeps its id)
     * @param perRank    per rank, per micro-batch, the request parts
     * @param overlapped whether to run the dual-batch overlap schedule
     * @return the step's virtual wall time and trace spans
     */
    public Step run(List<List<List<Part>>> perRank, List<List<List<Long>>> requestIds, boolean overlapped) {
        runtime.tracer().clear();
        long start = runtime.virtualNanos();
        runtime.resetPeaks();
        runtime.tracer().enable();
        List<Future<?>> futures = new ArrayList<>();
        long[] context = new long[ranks.size()];
        for (int r = 0; r < ranks.size(); r++) {
            int rank = r;
            futures.add(threads.submit(() -> {
                context[rank] = runRank(rank, perRank.get(rank), requestIds.get(rank), overlapped);
            }));
        }
        RuntimeException failure = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException re ? re
                        : new IllegalStateException(e.getCause());
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            }
        }
        runtime.tracer().disable();
        if (failure != null) {
            throw failure;
        }
        List<TraceSpan> spans = runtime.tracer().spans();
        runtime.tracer().clear();
        return new Step(runtime.virtualNanos() - start, spans, java.util.Arrays.stream(context).boxed().toList());
    }

    /** Runs rank {@code rank}'s part of the step; returns the bytes of its requests' cached context. */
    private long runRank(int rank, List<List<Part>> microBatches, List<List<Long>> ids, boolean overlapped) {
        RankContext rc = ranks.get(rank);
        Stream s = rc.computeStream();
        int d = config.hiddenSize();
        List<DecoderMicroBatch> batches = new ArrayList<>();
        Map<Long, RankSequence> sequences = new HashMap<>();
        Map<Long, int[]> cachedAndNew = new HashMap<>();
        try {
            for (int m = 0; m < microBatches.size(); m++) {
                List<Chunk> chunks = new ArrayList<>();
                int t = 0;
                for (int i = 0; i < microBatches.get(m).size(); i++) {
                    Part part = microBatches.get(m).get(i);
                    long id = ids.get(m).get(i);
                    RankSequence seq = sequences.get(id);
                    if (seq == null) {
                        seq = new RankSequence(id, rc.device(), config.kvLoraRank(), config.qkRopeHeadDim());
                        sequences.put(id, seq);
                        cachedAndNew.put(id, new int[] {part.cached(), 0});
                    }
                    cachedAndNew.get(id)[1] += part.tokens();
                    chunks.add(new Chunk(seq, t, part.tokens()));
                    t += part.tokens();
                }
                int ffnStart = 0;
                int ffnEnd = t;
                int per = t;
                if (rc.mode() == AttentionMode.TP) {
                    per = (t + rc.size() - 1) / rc.size();
                    ffnStart = Math.min(t, rank * per);
                    ffnEnd = Math.min(t, (rank + 1) * per);
                }
                DecoderMicroBatch mb = new DecoderMicroBatch(m, chunks, ffnStart, ffnEnd, per);
                batches.add(mb);
                mb.putCarried(DecoderMicroBatch.HIDDEN, Tensor.allocate(rc.device(), s, DType.F32, t, d));
                mb.putCarried(DecoderMicroBatch.POSITIONS, Tensor.allocate(rc.device(), s, DType.I32, t));
            }
            // the context as cached, with room for the step's new tokens, as the engine reserves before a step
            long contextBytes = 0;
            for (var e : sequences.entrySet()) {
                int[] tokens = cachedAndNew.get(e.getKey());
                for (int l = 0; l < layers.get(rank).size(); l++) {
                    e.getValue().cache(l).assumeCached(s, tokens[0], tokens[1]);
                }
                contextBytes += (long) tokens[0] * layers.get(rank).size()
                        * (config.kvLoraRank() + config.qkRopeHeadDim()) * Float.BYTES;
            }
            int count = batches.size();
            Schedule<DecoderMicroBatch> schedule = schedules.get(rank).computeIfAbsent(overlapped ? -count : count,
                    k -> overlapped ? Schedules.overlapped(programs.get(rank), count)
                            : Schedules.sequential(programs.get(rank), count));
            runners.get(rank).run(schedule, batches);
            s.synchronize();
            rc.commStream().synchronize();
            return contextBytes;
        } finally {
            List<Runnable> closes = new ArrayList<>();
            batches.forEach(b -> closes.add(b::close));
            sequences.values().forEach(q -> closes.add(q::close));
            Closer.runAll(closes);
        }
    }

    @Override
    public void close() {
        List<Runnable> steps = new ArrayList<>();
        layers.forEach(ls -> ls.forEach(l -> steps.add(l::close)));
        runners.forEach(r -> steps.add(r::close));
        ranks.forEach(rc -> steps.add(rc::close));
        comms.forEach(c -> steps.add(c::close));
        steps.add(threads::shutdownNow);
        layers.clear();
        runners.clear();
        ranks.clear();
        Closer.runAll(steps);
    }
}
