package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.ConfigException;
import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.RequestShape;
import dev.tandem.runtime.schedule.RequestSlice;
import dev.tandem.runtime.schedule.Schedule;
import dev.tandem.runtime.schedule.Schedules;
import dev.tandem.runtime.schedule.StageProgram;
import dev.tandem.runtime.spi.Closer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs decoder layers {@code [firstLayer, endLayer)} over P in-process ranks (one device each): expert-parallel
 * MoE, data- or tensor-parallel attention, per-request MLA KV caches that persist across {@link #forward} calls
 * (so prefill then decode steps work, mixed in one batch). A thin fan-out: {@link RequestPlacement} decides where
 * each request runs, and one {@link RankWorker} per rank, driven by its own host thread, issues the rank's
 * {@link StageProgram} (from {@link DecoderLayers}) with a schedule derived by runtime-core's {@link Schedules}:
 * sequential, or overlapped (dual-batch overlap) when there are several micro-batches. A failed forward leaves
 * the KV caches as they were and the runner usable. Not thread-safe: one forward at a time.
 */
public final class DecoderRunner implements AutoCloseable {

    /**
     * How a runner is set up.
     *
     * @param ranks       number of ranks (devices); must divide n_routed_experts, and the head count under TP
     * @param attention   DP or TP attention
     * @param weightDType F32 or BF16 storage of the large weights (compute is F32)
     * @param scheduling  how the schedule is derived from the stage program
     * @param comm        communicator options (timeout)
     * @param mla         MLA form per chunk (AUTO: absorbed for decode-like chunks, naive for prefills)
     */
    public record Options(int ranks, AttentionMode attention, DType weightDType, Scheduling scheduling,
                          CommunicatorOptions comm, MlaMode mla) {
        /**
         * Validates the options.
         *
         * @throws IllegalArgumentException if {@code ranks < 1} or the weight dtype is not F32, BF16 or F16
         * @throws NullPointerException if an object component is null
         */
        public Options {
            if (ranks < 1) {
                throw new IllegalArgumentException("ranks must be at least 1, got " + ranks);
            }
            Objects.requireNonNull(attention, "attention");
            Objects.requireNonNull(scheduling, "scheduling");
            if (weightDType != DType.F32 && weightDType != DType.BF16 && weightDType != DType.F16) {
                throw new IllegalArgumentException("weight dtype must be F32, BF16 or F16, got " + weightDType);
            }
            Objects.requireNonNull(comm, "comm");
            Objects.requireNonNull(mla, "mla");
        }

        /**
         * Options for {@code ranks} ranks: DP attention, F32 weights, sequential schedule, default communicator, AUTO MLA.
         *
         * @param ranks number of ranks, at least 1
         * @return the options
         */
        public static Options defaults(int ranks) {
            return new Options(ranks, AttentionMode.DP, DType.F32, Scheduling.SEQUENTIAL, CommunicatorOptions.defaults(),
                    MlaMode.AUTO);
        }

        /**
         * A copy with another attention mode.
         *
         * @param mode the attention mode
         * @return the new options
         */
        public Options withAttention(AttentionMode mode) {
            return new Options(ranks, mode, weightDType, scheduling, comm, mla);
        }

        /**
         * A copy with another scheduling.
         *
         * @param s the scheduling
         * @return the new options
         */
        public Options withScheduling(Scheduling s) {
            return new Options(ranks, attention, weightDType, s, comm, mla);
        }

        /**
         * A copy with another weight storage dtype.
         *
         * @param dtype F32, BF16 or F16
         * @return the new options
         */
        public Options withWeightDType(DType dtype) {
            return new Options(ranks, attention, dtype, scheduling, comm, mla);
        }

        /**
         * A copy with another MLA form.
         *
         * @param mode the MLA form
         * @return the new options
         */
        public Options withMla(MlaMode mode) {
            return new Options(ranks, attention, weightDType, scheduling, comm, mode);
        }

        /**
         * A copy with other communicator options.
         *
         * @param options the communicator options
         * @return the new options
         */
        public Options withCommunicatorOptions(CommunicatorOptions options) {
            return new Options(ranks, attention, weightDType, scheduling, options, mla);
        }
    }

    /** How a rank's schedule is derived from its stage program. */
    public enum Scheduling {
        /** Every stage of every micro-batch on the compute stream ({@code Schedules.sequential}). */
        SEQUENTIAL,
        /**
         * Dual-batch overlap ({@code Schedules.overlapped}): one micro-batch's communication stages on the comm
         * stream while another's compute runs, ordered by events; sequential for a single micro-batch.
         */
        OVERLAPPED
    }

    /**
     * One request's tokens in a step.
     *
     * @param id         request id; its KV cache persists across steps until {@link #release}
     * @param hidden     {@code [n, hidden_size]} row-major layer input
     * @param positions  {@code [n]} rope positions
     * @param microBatch which micro-batch the tokens go in; a request may appear twice in one step (a prefill split
     *                   at a token boundary) with increasing micro-batch indices
     */
    public record Request(long id, float[] hidden, int[] positions, int microBatch) {
        /**
         * Validates the request.
         *
         * @throws NullPointerException if {@code hidden} or {@code positions} is null
         * @throws IllegalArgumentException if {@code microBatch} is negative or there are no tokens
         */
        public Request {
            Objects.requireNonNull(hidden, "hidden");
            Objects.requireNonNull(positions, "positions");
            if (microBatch < 0) {
                throw new IllegalArgumentException("microBatch must not be negative");
            }
            if (positions.length == 0) {
                throw new IllegalArgumentException("request " + id + " has no tokens");
            }
        }

        /**
         * A request in micro-batch 0.
         *
         * @param id        request id
         * @param hidden    {@code [n, hidden_size]} row-major layer input
         * @param positions {@code [n]} rope positions
         */
        public Request(long id, float[] hidden, int[] positions) {
            this(id, hidden, positions, 0);
        }

        /** {@return the number of tokens, {@code positions.length}} */
        public int tokens() {
            return positions.length;
        }
    }

    private final DeepSeekConfig config;
    private final Options options;
    private final int firstLayer;
    private final TandemRuntime runtime;
    private final List<Device> devices;
    private List<Communicator> comms;
    private final List<RankWorker> workers = new ArrayList<>();
    private final RequestPlacement placement;
    private final ExecutorService pool;

    /**
     * Builds the ranks and uploads the layers' weights to their devices.
     *
     * @param runtime    the runtime whose first {@code options.ranks()} devices are used
     * @param config     the model config
     * @param weights    where each rank's layer weights come from
     * @param firstLayer first decoder layer run (zero-based)
     * @param endLayer   end (exclusive) of the decoder layers run
     * @param options    ranks, attention, weight dtype, scheduling and communicator options
     * @throws ConfigException if the layer range is invalid, the experts (or, under TP, the heads) are not divisible by
     *         the ranks, or the runtime has too few devices
     */
    public DecoderRunner(TandemRuntime runtime, DeepSeekConfig config, WeightSource weights, int firstLayer, int endLayer,
                         Options options) {
        this.config = config;
        this.options = options;
        this.firstLayer = firstLayer;
        int p = options.ranks();
        if (firstLayer < 0 || endLayer <= firstLayer || endLayer > config.numHiddenLayers()) {
            throw new ConfigException("layers " + firstLayer + ":" + endLayer + " are not a non-empty range within the "
                    + config.numHiddenLayers() + " layers of the model");
        }
        if (config.nRoutedExperts() % p != 0) {
            throw new ConfigException("n_routed_experts (" + config.nRoutedExperts() + ") must be divisible by the "
                    + p + " expert-parallel ranks");
        }
        if (options.attention() == AttentionMode.TP && config.numAttentionHeads() % p != 0) {
            throw new ConfigException("num_attention_heads (" + config.numAttentionHeads() + ") must be divisible by the "
                    + p + " tensor-parallel ranks");
        }
        if (runtime.devices().size() < p) {
            throw new ConfigException(p + " ranks need " + p + " devices but the " + runtime.backendName()
                    + " runtime has " + runtime.devices().size());
        }
        this.runtime = runtime;
        this.devices = List.copyOf(runtime.devices().subList(0, p));
        this.comms = runtime.createCommunicators(devices, options.comm());
        this.placement = new RequestPlacement(options.attention(), p);
        this.pool = Executors.newFixedThreadPool(p, r -> {
            Thread t = new Thread(r, "tandem-rank");
            t.setDaemon(true);
            return t;
        });
        List<RankContext> contexts = new ArrayList<>();
        List<Future<List<DeviceLayer>>> loads = new ArrayList<>();
        try {
            for (int r = 0; r < p; r++) {
                contexts.add(new RankContext(config, options.attention(), comms.get(r), options.weightDType(), options.mla()));
            }
            for (RankContext rc : contexts) {
                loads.add(pool.submit(() -> RankWorker.load(rc, weights, firstLayer, endLayer)));
            }
            List<List<DeviceLayer>> loaded = new ArrayList<>();
            RuntimeException failure = null;
            for (Future<List<DeviceLayer>> f : loads) {
                try {
                    loaded.add(join(f));
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                    loaded.add(null);
                }
            }
            if (failure != null) {
                List<Runnable> frees = new ArrayList<>();
                for (List<DeviceLayer> ls : loaded) {
                    if (ls != null) {
                        ls.forEach(l -> frees.add(l::close));
                    }
                }
                contexts.forEach(rc -> frees.add(rc::close));
                contexts.clear();
                try {
                    dev.tandem.runtime.spi.Closer.runAll(frees);
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
                throw failure;
            }
            for (int r = 0; r < p; r++) {
                workers.add(new RankWorker(config, contexts.get(r), loaded.get(r), firstLayer, endLayer));
            }
        } catch (RuntimeException e) {
            if (workers.isEmpty()) {
                contexts.forEach(RankContext::close);
            }
            close();
            throw e;
        }
    }

    /** {@return the model config} */
    public DeepSeekConfig config() {
        return config;
    }

    /** {@return the options the runner was built with} */
    public Options options() {
        return options;
    }

    /**
     * The stage program of rank {@code r} (for inspection and custom schedules).
     *
     * @param r the rank index
     * @return its stage program
     */
    public StageProgram<DecoderMicroBatch> program(int r) {
        return workers.get(r).program();
    }

    /**
     * The schedule a forward with {@code microBatches} micro-batches uses on rank {@code r}.
     *
     * @param r            the rank index
     * @param microBatches the number of micro-batches
     * @return the schedule
     */
    public Schedule<DecoderMicroBatch> schedule(int r, int microBatches) {
        return schedule(r, microBatches, options.scheduling());
    }

    /**
     * The schedule of rank {@code r} for {@code microBatches} micro-batches under {@code scheduling} (cached).
     *
     * @param r            the rank index
     * @param microBatches the number of micro-batches
     * @param scheduling   how the schedule is derived
     * @return the schedule
     */
    public Schedule<DecoderMicroBatch> schedule(int r, int microBatches, Scheduling scheduling) {
        return workers.get(r).schedule(microBatches, scheduling);
    }

    /**
     * Cached tokens of request {@code id} in the first layer (0 if unknown).
     *
     * @param id the request id
     * @return the number of cached tokens
     */
    public int cachedTokens(long id) {
        Integer home = placement.home(id);
        return home == null ? 0 : workers.get(home).cachedTokens(id);
    }

    /**
     * The rank holding request {@code id}'s KV cache under DP attention (0 under TP), or -1 if it never ran.
     *
     * @param id the request id
     * @return the rank index, or -1
     */
    public int homeRank(long id) {
        Integer home = placement.home(id);
        return home == null ? -1 : home;
    }

    /**
     * Frees request {@code id}'s KV caches.
     *
     * @param id the request id
     */
    public void release(long id) {
        placement.forget(id);
        for (RankWorker w : workers) {
            w.release(id);
        }
    }

    /**
     * Device bytes held by every request's KV caches on rank {@code r}.
     *
     * @param r the rank index
     * @return the bytes
     */
    public long cacheBytes(int r) {
        return workers.get(r).cacheBytes();
    }

    /**
     * Device bytes that {@code extra} more tokens of request {@code id} would add to its KV caches on rank {@code r}
     * (caches grow by doubling, so this can exceed the tokens' own size).
     * @param r     the rank index
     * @param id    the request id
     * @param extra the additional tokens
     * @return the added bytes (0 when they fit the current capacity)
     */
    public long cacheGrowthBytes(int r, long id, int extra) {
        return workers.get(r).growthBytes(id, extra);
    }

    /**
     * Device bytes held by request {@code id}'s KV caches on rank {@code r}.
     *
     * @param r  the rank index
     * @param id the request id
     * @return the bytes
     */
    public long cacheBytes(int r, long id) {
        return workers.get(r).cacheBytes(id);
    }

    /**
     * Sets who hears each rank's routing decisions from now on: per MoE layer and micro-batch, the tokens sent to
     * each routed expert (null: nobody). Takes effect at the next forward.
     *
     * @param listener the listener, or null to stop
     */
    public void expertLoadListener(ExpertLoadListener listener) {
        for (RankWorker w : workers) {
            w.context().expertLoadListener(listener);
        }
    }

    /**
     * Ranks of the runner.
     *
     * @return the number of ranks
     */
    public int rankCount() {
        return workers.size();
    }

    /**
     * What runtime-core's {@code MicroBatchPlanner} needs to know of {@code requests}: new and cached tokens.
     *
     * @param requests the step's requests
     * @return one shape per request, in order
     */
    public List<RequestShape> shapes(List<Request> requests) {
        List<RequestShape> out = new ArrayList<>();
        for (Request q : requests) {
            out.add(new RequestShape(q.tokens(), cachedTokens(q.id())));
        }
        return out;
    }

    /**
     * Runs {@code requests} split into micro-batches as {@code plan} says (a {@code MicroBatchPlanner} result over
     * {@link #shapes}): whole requests, or a prefill cut at a token boundary whose second part attends to the
     * first part's KV. Returns the output rows in request order.
     * @param requests the step's requests
     * @param plan     how the requests' tokens split into micro-batches
     * @return the output rows {@code [sum n, hidden]}, row-major
     * @throws IllegalArgumentException if the plan does not cover each request's tokens in order
     */
    public float[] forward(List<Request> requests, MicroBatchPlan plan) {
        return forward(requests, plan, options.scheduling());
    }

    /**
     * As {@link #forward(List, MicroBatchPlan)}, with the scheduling chosen for this call.
     *
     * @param requests   the step's requests
     * @param plan       how the requests' tokens split into micro-batches
     * @param scheduling the scheduling for this call
     * @return the output rows {@code [sum n, hidden]}, row-major
     * @throws IllegalArgumentException if the plan does not cover each request's tokens in order
     */
    public float[] forward(List<Request> requests, MicroBatchPlan plan, Scheduling scheduling) {
        int d = config.hiddenSize();
        for (Request q : requests) {
            checkShape(q);   // before slicing, which would otherwise pad or truncate a wrong-length hidden
        }
        List<Request> sliced = new ArrayList<>();
        int[] covered = new int[requests.size()];
        for (int m = 0; m < plan.size(); m++) {
            for (RequestSlice slice : plan.microBatches().get(m)) {
                Request q = requests.get(slice.request());
                if (slice.start() != covered[slice.request()] || slice.end() > q.tokens()) {
                    throw new IllegalArgumentException("plan slice " + slice + " does not continue request "
                            + q.id() + " at token " + covered[slice.request()]);
                }
                covered[slice.request()] = slice.end();
                sliced.add(new Request(q.id(), java.util.Arrays.copyOfRange(q.hidden(), slice.start() * d, slice.end() * d),
                        java.util.Arrays.copyOfRange(q.positions(), slice.start(), slice.end()), m));
            }
        }
        for (int i = 0; i < requests.size(); i++) {
            if (covered[i] != requests.get(i).tokens()) {
                throw new IllegalArgumentException("plan covers " + covered[i] + " of request " + requests.get(i).id()
                        + "'s " + requests.get(i).tokens() + " tokens");
            }
        }
        // the plan lists slices in batch order, so the output rows already are in request order
        return forward(sliced, scheduling);
    }

    /**
     * Runs the layers on one step's requests and returns the output hidden states {@code [sum n, hidden]} in
     * request order.
     * @param requests the step's requests
     * @return the output rows, row-major
     */
    public float[] forward(List<Request> requests) {
        return forward(requests, options.scheduling());
    }

    /**
     * As {@link #forward(List)}, with the scheduling chosen for this call. On failure the KV caches are as they
     * were before the call, the exception is the failure that started it (not a peer's abort), and the runner
     * works on (with fresh streams and communicators).
     * @param requests   the step's requests
     * @param scheduling the scheduling for this call
     * @return the output rows {@code [sum n, hidden]} in request order, row-major
     * @throws IllegalArgumentException if a request's shape is wrong or it appears out of micro-batch order
     */
    public float[] forward(List<Request> requests, Scheduling scheduling) {
        Objects.requireNonNull(scheduling, "scheduling");
        int d = config.hiddenSize();
        int microBatches = 0;
        Map<Long, Integer> lastMb = new HashMap<>();
        for (Request q : requests) {
            checkShape(q);
            Integer prev = lastMb.put(q.id(), q.microBatch());
            if (prev != null && prev >= q.microBatch()) {
                throw new IllegalArgumentException("request " + q.id() + " appears twice in micro-batch order "
                        + prev + " then " + q.microBatch() + "; chunks of one request need increasing micro-batches");
            }
            microBatches = Math.max(microBatches, q.microBatch() + 1);
        }
        RequestPlacement.Step step = placement.place(requests);
        List<Map<Long, Map<Integer, Integer>>> before = new ArrayList<>();
        for (int r = 0; r < workers.size(); r++) {
            before.add(workers.get(r).snapshot(requests, step.perRank().get(r)));
        }
        float[] out = new float[requests.stream().mapToInt(Request::tokens).sum() * d];
        int[] rowOf = new int[requests.size()];
        for (int i = 1; i < requests.size(); i++) {
            rowOf[i] = rowOf[i - 1] + requests.get(i - 1).tokens();
        }
        int mbs = Math.max(microBatches, 1);
        List<Future<?>> futures = new ArrayList<>();
        for (int r = 0; r < workers.size(); r++) {
            RankWorker w = workers.get(r);
            List<Integer> mine = step.perRank().get(r);
            boolean writesOutput = options.attention() == AttentionMode.DP || r == 0;
            futures.add(pool.submit(() -> w.run(requests, mine, mbs, out, rowOf, writesOutput, scheduling)));
        }
        List<Throwable> failures = new ArrayList<>();
        for (Future<?> f : futures) {
            try {
                join(f);
            } catch (RuntimeException | Error e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            undo(before);
            Throwable root = StepFailures.root(failures);
            if (root instanceof Error err) {
                throw err;
            }
            throw (RuntimeException) root;
        }
        placement.commit(step, requests);
        return out;
    }

    private void checkShape(Request q) {
        int d = config.hiddenSize();
        if ((long) q.tokens() * d != q.hidden().length) {
            throw new IllegalArgumentException("request " + q.id() + ": hidden has " + q.hidden().length
                    + " values, expected " + q.tokens() + " x " + d);
        }
    }

    /** Undoes a failed step on every rank, then gives every rank fresh streams and a fresh communicator group. */
    private void undo(List<Map<Long, Map<Integer, Integer>>> before) {
        List<Runnable> steps = new ArrayList<>();
        for (int r = 0; r < workers.size(); r++) {
            RankWorker w = workers.get(r);
            Map<Long, Map<Integer, Integer>> snapshot = before.get(r);
            steps.add(() -> w.restore(snapshot));
        }
        for (Communicator c : comms) {
            steps.add(c::close);
        }
        try {
            dev.tandem.runtime.spi.Closer.runAll(steps);
        } catch (RuntimeException ignored) {
            // best effort: the step's failure is what the caller must see
        }
        comms = runtime.createCommunicators(devices, options.comm());
        for (int r = 0; r < workers.size(); r++) {
            workers.get(r).renew(comms.get(r));
        }
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        }
    }

    /** Frees caches, weights, streams and communicators; best effort after a failed forward (frees what it can). */
    @Override
    public void close() {
        List<Runnable> steps = new ArrayList<>();
        for (RankWorker w : workers) {
            steps.add(w::close);
        }
        for (Communicator c : comms) {
            steps.add(c::close);
        }
        RuntimeException failure = null;
        try {
            Closer.runAll(steps);
        } catch (RuntimeException e) {
            failure = e;
        }
        workers.clear();
        pool.shutdownNow();
        if (failure != null && !(failure instanceof dev.tandem.runtime.StreamFailedException)) {
            throw failure;
        }
    }
}
