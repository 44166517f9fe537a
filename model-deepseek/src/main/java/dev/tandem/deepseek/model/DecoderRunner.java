package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.ConfigException;
import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.RequestShape;
import dev.tandem.runtime.schedule.RequestSlice;
import dev.tandem.runtime.schedule.Schedule;
import dev.tandem.runtime.schedule.ScheduleRunner;
import dev.tandem.runtime.schedule.Schedules;
import dev.tandem.runtime.schedule.StageProgram;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * (so prefill then decode steps work, mixed in one batch). Each rank is driven by its own host thread, which
 * issues the rank's {@link StageProgram} (from {@link DecoderLayers}) with a schedule derived by runtime-core's
 * {@link Schedules}: sequential, or overlapped (dual-batch overlap) when there are several micro-batches.
 */
public final class DecoderRunner implements AutoCloseable {

    /**
     * @param ranks       number of ranks (devices); must divide n_routed_experts, and the head count under TP
     * @param attention   DP or TP attention
     * @param weightDType F32 or BF16 storage of the large weights (compute is F32)
     * @param scheduling  how the schedule is derived from the stage program
     * @param comm        communicator options (timeout)
     * @param mla         MLA form per chunk (AUTO: absorbed for decode-like chunks, naive for prefills)
     */
    public record Options(int ranks, AttentionMode attention, DType weightDType, Scheduling scheduling,
                          CommunicatorOptions comm, MlaMode mla) {
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

        public static Options defaults(int ranks) {
            return new Options(ranks, AttentionMode.DP, DType.F32, Scheduling.SEQUENTIAL, CommunicatorOptions.defaults(),
                    MlaMode.AUTO);
        }

        public Options withAttention(AttentionMode mode) {
            return new Options(ranks, mode, weightDType, scheduling, comm, mla);
        }

        public Options withScheduling(Scheduling s) {
            return new Options(ranks, attention, weightDType, s, comm, mla);
        }

        public Options withWeightDType(DType dtype) {
            return new Options(ranks, attention, dtype, scheduling, comm, mla);
        }

        public Options withMla(MlaMode mode) {
            return new Options(ranks, attention, weightDType, scheduling, comm, mode);
        }

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

        public Request(long id, float[] hidden, int[] positions) {
            this(id, hidden, positions, 0);
        }

        public int tokens() {
            return positions.length;
        }
    }

    private final DeepSeekConfig config;
    private final Options options;
    private final int firstLayer;
    private final int endLayer;
    private final TandemRuntime runtime;
    private final List<Device> devices;
    private List<Communicator> comms;
    private final List<RankContext> ranks = new ArrayList<>();
    private final List<List<DeviceLayer>> layers = new ArrayList<>();
    private final List<StageProgram<DecoderMicroBatch>> programs = new ArrayList<>();
    private final List<ScheduleRunner> scheduleRunners = new ArrayList<>();
    private final List<Map<Long, RankSequence>> sequences = new ArrayList<>();
    private final Map<Long, Integer> homeRank = new HashMap<>();
    private final long[] rankTokens;
    private final Map<Long, Long> sequenceTokens = new HashMap<>();
    private final ExecutorService pool;
    private final Map<String, Schedule<DecoderMicroBatch>> schedules = new java.util.concurrent.ConcurrentHashMap<>();

    public DecoderRunner(TandemRuntime runtime, DeepSeekConfig config, WeightSource weights, int firstLayer, int endLayer,
                         Options options) {
        this.config = config;
        this.options = options;
        this.firstLayer = firstLayer;
        this.endLayer = endLayer;
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
        this.rankTokens = new long[p];
        this.pool = Executors.newFixedThreadPool(p, r -> {
            Thread t = new Thread(r, "tandem-rank");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int r = 0; r < p; r++) {
                RankContext rc = new RankContext(config, options.attention(), comms.get(r), options.weightDType(), options.mla());
                ranks.add(rc);
                sequences.add(new HashMap<>());
            }
            List<Future<List<DeviceLayer>>> loads = new ArrayList<>();
            for (int r = 0; r < p; r++) {
                RankContext rc = ranks.get(r);
                loads.add(pool.submit(() -> {
                    List<DeviceLayer> ls = new ArrayList<>();
                    for (int l = firstLayer; l < endLayer; l++) {
                        var hostWeights = weights.load(l, rc.expertStart(), rc.expertEnd());
                        ls.add(new DeviceLayer(rc, hostWeights, rc.computeStream()));
                    }
                    rc.computeStream().synchronize();
                    return ls;
                }));
            }
            for (int r = 0; r < p; r++) {
                List<DeviceLayer> ls = join(loads.get(r));
                layers.add(ls);
                programs.add(DecoderLayers.program(ranks.get(r), ls));
                scheduleRunners.add(new ScheduleRunner(ranks.get(r).computeStream(), ranks.get(r).commStream()));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public DeepSeekConfig config() {
        return config;
    }

    public Options options() {
        return options;
    }

    /** The stage program of rank {@code r} (for inspection and custom schedules). */
    public StageProgram<DecoderMicroBatch> program(int r) {
        return programs.get(r);
    }

    /** The schedule a forward with {@code microBatches} micro-batches uses on rank {@code r}. */
    public Schedule<DecoderMicroBatch> schedule(int r, int microBatches) {
        return schedule(r, microBatches, options.scheduling());
    }

    /** The schedule of rank {@code r} for {@code microBatches} micro-batches under {@code scheduling} (cached). */
    public Schedule<DecoderMicroBatch> schedule(int r, int microBatches, Scheduling scheduling) {
        return schedules.computeIfAbsent(r + "/" + microBatches + "/" + scheduling, k ->
                scheduling == Scheduling.OVERLAPPED
                        ? Schedules.overlapped(programs.get(r), microBatches)
                        : Schedules.sequential(programs.get(r), microBatches));
    }

    /** Cached tokens of request {@code id} in the first layer (0 if unknown). */
    public int cachedTokens(long id) {
        Integer home = homeRank.get(id);
        if (home == null) {
            return 0;
        }
        RankSequence s = sequences.get(home).get(id);
        return s == null ? 0 : s.length(firstLayer);
    }

    /** Frees request {@code id}'s KV caches. */
    public void release(long id) {
        Integer home = homeRank.remove(id);
        if (home == null) {
            return;
        }
        Long tokens = sequenceTokens.remove(id);
        if (tokens != null && options.attention() == AttentionMode.DP) {
            rankTokens[home] -= tokens;
        }
        for (Map<Long, RankSequence> m : sequences) {
            RankSequence s = m.remove(id);
            if (s != null) {
                s.close();
            }
        }
    }

    /** What runtime-core's {@code MicroBatchPlanner} needs to know of {@code requests}: new and cached tokens. */
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
     */
    public float[] forward(List<Request> requests, MicroBatchPlan plan) {
        return forward(requests, plan, options.scheduling());
    }

    /** As {@link #forward(List, MicroBatchPlan)}, with the scheduling chosen for this call. */
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
        float[] out = forward(sliced, scheduling);
        // the plan lists slices in batch order, so the rows already are in request order
        return out;
    }

    /**
     * Runs the layers on one step's requests and returns the output hidden states {@code [sum n, hidden]} in
     * request order.
     */
    public float[] forward(List<Request> requests) {
        return forward(requests, options.scheduling());
    }

    /** As {@link #forward(List)}, with the scheduling chosen for this call. */
    public float[] forward(List<Request> requests, Scheduling scheduling) {
        Objects.requireNonNull(scheduling, "scheduling");
        int d = config.hiddenSize();
        int p = ranks.size();
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
        // Home ranks: TP keeps every request everywhere; DP places a new request on the least-loaded rank.
        List<List<Integer>> perRank = new ArrayList<>();
        for (int r = 0; r < p; r++) {
            perRank.add(new ArrayList<>());
        }
        Map<Long, Integer> stepHome = new LinkedHashMap<>();
        long[] stepTokens = new long[p];
        for (int i = 0; i < requests.size(); i++) {
            Request q = requests.get(i);
            if (options.attention() == AttentionMode.TP) {
                for (int r = 0; r < p; r++) {
                    perRank.get(r).add(i);
                }
                homeRank.putIfAbsent(q.id(), 0);
                continue;
            }
            Integer home = homeRank.get(q.id());
            if (home == null) {
                home = stepHome.get(q.id());
            }
            if (home == null) {
                home = 0;
                for (int r = 1; r < p; r++) {
                    if (stepTokens[r] + rankTokens[r] < stepTokens[home] + rankTokens[home]) {
                        home = r;
                    }
                }
                stepHome.put(q.id(), home);
            }
            stepTokens[home] += q.tokens();
            perRank.get(home).add(i);
        }
        for (var e : stepHome.entrySet()) {
            homeRank.put(e.getKey(), e.getValue());
        }
        // What a failed step must undo: cache lengths of the sequences it touches, sequences it creates, homes.
        List<Map<Long, Map<Integer, Integer>>> before = new ArrayList<>();
        for (int r = 0; r < p; r++) {
            Map<Long, Map<Integer, Integer>> snapshot = new HashMap<>();
            for (int i : perRank.get(r)) {
                RankSequence seq = sequences.get(r).get(requests.get(i).id());
                if (seq != null) {
                    snapshot.putIfAbsent(seq.id(), seq.lengths());
                }
            }
            before.add(snapshot);
        }
        List<Long> newHomes = new ArrayList<>(stepHome.keySet());
        if (options.attention() == AttentionMode.TP) {
            for (Request q : requests) {
                if (sequences.get(0).get(q.id()) == null) {
                    newHomes.add(q.id());
                }
            }
        }
        float[] out = new float[requests.stream().mapToInt(Request::tokens).sum() * d];
        int[] rowOf = new int[requests.size()];
        for (int i = 1; i < requests.size(); i++) {
            rowOf[i] = rowOf[i - 1] + requests.get(i - 1).tokens();
        }
        int mbs = Math.max(microBatches, 1);
        List<Future<?>> futures = new ArrayList<>();
        for (int r = 0; r < p; r++) {
            final int rank = r;
            futures.add(pool.submit(() -> runRank(rank, requests, perRank.get(rank), mbs, out, rowOf,
                    options.attention() == AttentionMode.DP || rank == 0, scheduling)));
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
            undo(requests, perRank, before, newHomes);
            Throwable root = StepFailures.root(failures);
            if (root instanceof Error err) {
                throw err;
            }
            throw (RuntimeException) root;
        }
        for (int r = 0; r < p; r++) {
            rankTokens[r] += stepTokens[r];
        }
        for (Request q : requests) {
            sequenceTokens.merge(q.id(), (long) q.tokens(), Long::sum);
        }
        return out;
    }

    private void checkShape(Request q) {
        int d = config.hiddenSize();
        if ((long) q.tokens() * d != q.hidden().length) {
            throw new IllegalArgumentException("request " + q.id() + ": hidden has " + q.hidden().length
                    + " values, expected " + q.tokens() + " x " + d);
        }
    }

    private void runRank(int rank, List<Request> requests, List<Integer> mine, int mbs, float[] out, int[] rowOf,
                         boolean writesOutput, Scheduling scheduling) {
        RankContext rc = ranks.get(rank);
        Stream s = rc.computeStream();
        int d = config.hiddenSize();
        List<DecoderMicroBatch> batches = new ArrayList<>();
        List<List<Integer>> members = new ArrayList<>();
        try {
            Map<Long, Integer> stepTokens = new LinkedHashMap<>();
            for (int i : mine) {
                stepTokens.merge(requests.get(i).id(), requests.get(i).tokens(), Integer::sum);
            }
            for (var e : stepTokens.entrySet()) {
                sequences.get(rank).computeIfAbsent(e.getKey(),
                                id -> new RankSequence(id, rc.device(), config.kvLoraRank(), config.qkRopeHeadDim()))
                        .reserve(rc.kernels(), s, firstLayer, endLayer, e.getValue());
            }
            for (int m = 0; m < mbs; m++) {
                List<Integer> ids = new ArrayList<>();
                for (int i : mine) {
                    if (requests.get(i).microBatch() == m) {
                        ids.add(i);
                    }
                }
                members.add(ids);
                List<Chunk> chunks = new ArrayList<>();
                int t = 0;
                for (int i : ids) {
                    Request q = requests.get(i);
                    RankSequence seq = sequences.get(rank).computeIfAbsent(q.id(),
                            id -> new RankSequence(id, rc.device(), config.kvLoraRank(), config.qkRopeHeadDim()));
                    chunks.add(new Chunk(seq, t, q.tokens()));
                    t += q.tokens();
                }
                int ffnStart = 0;
                int ffnEnd = t;
                int per = t;
                if (options.attention() == AttentionMode.TP) {
                    per = (t + rc.size() - 1) / rc.size();
                    ffnStart = Math.min(t, rank * per);
                    ffnEnd = Math.min(t, (rank + 1) * per);
                }
                DecoderMicroBatch mb = new DecoderMicroBatch(m, chunks, ffnStart, ffnEnd, per);
                batches.add(mb);
                float[] hidden = new float[t * d];
                int[] pos = new int[t];
                int row = 0;
                for (int i : ids) {
                    Request q = requests.get(i);
                    System.arraycopy(q.hidden(), 0, hidden, row * d, q.hidden().length);
                    System.arraycopy(q.positions(), 0, pos, row, q.tokens());
                    row += q.tokens();
                }
                Tensor h = Tensor.allocate(rc.device(), s, DType.F32, t, d);
                Tensor p = Tensor.allocate(rc.device(), s, DType.I32, t);
                if (t > 0) {
                    s.upload(hidden, h);
                    s.upload(pos, p);
                }
                mb.putCarried(DecoderMicroBatch.HIDDEN, h);
                mb.putCarried(DecoderMicroBatch.POSITIONS, p);
            }
            scheduleRunners.get(rank).run(schedule(rank, mbs, scheduling), batches);
            List<float[]> results = new ArrayList<>();
            for (DecoderMicroBatch mb : batches) {
                float[] res = new float[mb.tokens() * d];
                if (mb.tokens() > 0) {
                    s.download(mb.tensor(DecoderMicroBatch.HIDDEN), res);
                }
                results.add(res);
            }
            s.synchronize();
            rc.commStream().synchronize();
            if (writesOutput) {
                for (int m = 0; m < mbs; m++) {
                    int row = 0;
                    for (int i : members.get(m)) {
                        int n = requests.get(i).tokens();
                        System.arraycopy(results.get(m), row * d, out, rowOf[i] * d, n * d);
                        row += n;
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            // Peers would otherwise wait at their next collective for this rank's work that will never come.
            rc.communicator().close();
            throw e;
        } finally {
            for (DecoderMicroBatch mb : batches) {
                mb.close();
            }
        }
    }

    /**
     * Undoes a failed step: caches back to their lengths before it, sequences it created freed, new homes
     * forgotten; then fresh streams and communicators, since a failed stream and an aborted group stay failed.
     */
    private void undo(List<Request> requests, List<List<Integer>> perRank, List<Map<Long, Map<Integer, Integer>>> before,
                      List<Long> newHomes) {
        List<Runnable> steps = new ArrayList<>();
        for (int r = 0; r < ranks.size(); r++) {
            Map<Long, RankSequence> rankSequences = sequences.get(r);
            Map<Long, Map<Integer, Integer>> snapshot = before.get(r);
            for (int i : perRank.get(r)) {
                long id = requests.get(i).id();
                RankSequence seq = rankSequences.get(id);
                if (seq == null) {
                    continue;
                }
                Map<Integer, Integer> lengths = snapshot.get(id);
                if (lengths == null) {
                    rankSequences.remove(id);
                    steps.add(seq::close);
                } else {
                    seq.restore(lengths);
                }
            }
        }
        for (long id : newHomes) {
            homeRank.remove(id);
        }
        for (Communicator c : comms) {
            steps.add(c::close);
        }
        for (ScheduleRunner sr : scheduleRunners) {
            steps.add(sr::close);
        }
        try {
            dev.tandem.runtime.spi.Closer.runAll(steps);
        } catch (RuntimeException ignored) {
            // best effort: the step's failure is what the caller must see
        }
        comms = runtime.createCommunicators(devices, options.comm());
        for (int r = 0; r < ranks.size(); r++) {
            RankContext rc = ranks.get(r);
            rc.renew(comms.get(r));
            scheduleRunners.set(r, new ScheduleRunner(rc.computeStream(), rc.commStream()));
        }
    }

    /** Device bytes held by every request's KV caches on rank {@code r}. */
    public long cacheBytes(int r) {
        long total = 0;
        for (RankSequence s : sequences.get(r).values()) {
            total += s.bytes();
        }
        return total;
    }

    /** Ranks of the runner. */
    public int rankCount() {
        return ranks.size();
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
        for (Map<Long, RankSequence> m : sequences) {
            for (RankSequence s : m.values()) {
                steps.add(s::close);
            }
        }
        for (List<DeviceLayer> ls : layers) {
            for (DeviceLayer l : ls) {
                steps.add(l::close);
            }
        }
        for (ScheduleRunner sr : scheduleRunners) {
            steps.add(sr::close);
        }
        for (RankContext rc : ranks) {
            steps.add(() -> rc.computeStream().synchronize());
            steps.add(rc::close);
        }
        for (Communicator c : comms) {
            steps.add(c::close);
        }
        RuntimeException failure = null;
        try {
            dev.tandem.runtime.spi.Closer.runAll(steps);
        } catch (RuntimeException e) {
            failure = e;
        }
        sequences.forEach(Map::clear);
        layers.clear();
        scheduleRunners.clear();
        ranks.clear();
        pool.shutdownNow();
        if (failure != null && !(failure instanceof dev.tandem.runtime.StreamFailedException)) {
            throw failure;
        }
    }
}
