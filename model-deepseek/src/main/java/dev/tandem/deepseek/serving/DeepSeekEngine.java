package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.cost.ComputeRate;
import dev.tandem.deepseek.cost.DeepSeekStageCosts;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.deepseek.model.WeightSource;
import dev.tandem.deepseek.weights.Checkpoint;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.InterconnectEstimate;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.MicroBatchPlanner;
import dev.tandem.runtime.schedule.OverlapAdvisor;
import dev.tandem.runtime.trace.OverlapReport;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The entry point for serving stacks: DeepSeek decoder layers on P expert-parallel ranks of one runtime, fed
 * batches of requests (hidden states and positions; KV caches persist per request id until {@link #release}),
 * scheduled sequentially, with dual-batch overlap, or as the cost model advises, with an overlap report per
 * forward. Not thread-safe: issue forwards from one thread.
 *
 * <pre>{@code
 * try (DeepSeekEngine engine = DeepSeekEngine.builder().preset("tiny-v3").randomWeights(7).ranks(2).build()) {
 *     var requests = List.of(new DecoderRunner.Request(1, hidden, positions));
 *     ForwardResult r = engine.forward(requests, ScheduleChoice.auto(2));
 *     float[] out = r.hidden();
 *     System.out.println(r.decision() + "\n" + r.report().describe());
 * }
 * }</pre>
 */
public final class DeepSeekEngine implements AutoCloseable {
    private final TandemRuntime runtime;
    private final DecoderRunner runner;
    private final Checkpoint checkpoint;
    private final DeepSeekConfig config;
    private final MicroBatchPlanner planner;
    private final DeepSeekStageCosts costs;
    private final double flopsPerSecond;

    private DeepSeekEngine(Builder b) {
        Checkpoint ckpt = b.modelDirectory == null ? null : Checkpoint.open(b.modelDirectory);
        this.checkpoint = ckpt;
        this.config = ckpt != null ? ckpt.config() : Objects.requireNonNull(b.config, "a preset, config or model directory is required");
        WeightSource weights = ckpt != null ? WeightSource.checkpoint(ckpt) : WeightSource.random(config, b.seed);
        int first = b.firstLayer < 0 ? 0 : b.firstLayer;
        int end = b.endLayer < 0 ? config.numHiddenLayers() : b.endLayer;
        this.runtime = TandemRuntime.open(RuntimeOptions.defaults().withBackend(b.backend).withDeviceCount(b.ranks)
                .withComputeThreads(b.computeThreads).withTracing(b.tracing));
        try {
            CommunicatorOptions comm = CommunicatorOptions.defaults().withLink(b.link);
            this.runner = new DecoderRunner(runtime, config, weights, first, end,
                    DecoderRunner.Options.defaults(b.ranks).withAttention(b.attention).withWeightDType(b.weightDType)
                            .withCommunicatorOptions(comm).withMla(b.mla));
            this.flopsPerSecond = b.flopsPerSecond > 0 ? b.flopsPerSecond : ComputeRate.measure(runtime.device(0), 128, 512, 512);
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
        this.planner = new MicroBatchPlanner(b.minMicroBatchTokens, 0.1, true, DeepSeekStageCosts.plannerCostModel(config));
        InterconnectEstimate assumed = b.link != null ? InterconnectEstimate.of(b.link) : b.assumedLink;
        this.costs = new DeepSeekStageCosts(config, b.ranks, b.attention, flopsPerSecond, assumed);
    }

    public static Builder builder() {
        return new Builder();
    }

    public DeepSeekConfig config() {
        return config;
    }

    /** The underlying runner (stage programs, schedules, KV caches). */
    public DecoderRunner runner() {
        return runner;
    }

    public TandemRuntime runtime() {
        return runtime;
    }

    /** The compute rate the cost model uses (measured at start unless given). */
    public double flopsPerSecond() {
        return flopsPerSecond;
    }

    /** Runs one batch; request ids keep their KV caches for later steps. */
    public ForwardResult forward(List<Request> requests, ScheduleChoice choice) {
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(choice, "choice");
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("a forward needs at least one request");
        }
        var shapes = runner.shapes(requests);
        MicroBatchPlan plan;
        boolean overlap;
        String decision;
        switch (choice.kind()) {
            case SEQUENTIAL -> {
                plan = planner.plan(shapes, 1);
                overlap = false;
                decision = "sequential (requested)";
            }
            case OVERLAPPED -> {
                plan = planner.plan(shapes, choice.microBatches());
                overlap = plan.isSplit();
                decision = overlap ? "overlapped (requested): " + plan.reason() : "sequential: " + plan.reason();
            }
            default -> {
                OverlapAdvisor advisor = new OverlapAdvisor(planner, costs, choice.microBatches(), 0.05);
                OverlapAdvisor.Advice advice = advisor.advise(runner.program(0), shapes);
                plan = advice.plan();
                overlap = advice.overlap();
                decision = advice.reason();
            }
        }
        boolean tracing = runtime.tracer().isEnabled();
        if (tracing) {
            runtime.tracer().clear();
        }
        long start = System.nanoTime();
        float[] hidden = runner.forward(requests, plan, overlap ? Scheduling.OVERLAPPED : Scheduling.SEQUENTIAL);
        long wall = System.nanoTime() - start;
        OverlapReport report = tracing ? OverlapReport.of(runtime.tracer().spans()) : null;
        return new ForwardResult(hidden, plan, overlap, decision, wall, report);
    }

    /**
     * Equivalence check: runs {@code requests} (which must be new, without cached tokens) sequentially and overlapped
     * over {@code microBatches} micro-batches under temporary ids, compares the outputs and forgets both runs.
     */
    public EquivalenceReport checkEquivalence(List<Request> requests, int microBatches) {
        for (Request q : requests) {
            if (runner.cachedTokens(q.id()) > 0) {
                throw new IllegalArgumentException("equivalence check needs new requests; request " + q.id()
                        + " already has cached tokens");
            }
        }
        float[] sequential = runTemporarily(requests, 1, Scheduling.SEQUENTIAL);
        float[] overlapped = runTemporarily(requests, microBatches, Scheduling.OVERLAPPED);
        return EquivalenceReport.compare(sequential, overlapped);
    }

    private float[] runTemporarily(List<Request> requests, int microBatches, Scheduling scheduling) {
        long base = Long.MIN_VALUE / 2 + System.nanoTime() % 1_000_000 * 1_000;
        List<Request> temporary = new java.util.ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            Request q = requests.get(i);
            temporary.add(new Request(base + i, q.hidden(), q.positions()));
        }
        try {
            MicroBatchPlan plan = planner.plan(runner.shapes(temporary), microBatches);
            return runner.forward(temporary, plan, scheduling);
        } finally {
            for (Request q : temporary) {
                runner.release(q.id());
            }
        }
    }

    /** Frees request {@code id}'s KV caches. */
    public void release(long id) {
        runner.release(id);
    }

    @Override
    public void close() {
        try {
            runner.close();
        } finally {
            try {
                runtime.close();
            } finally {
                if (checkpoint != null) {
                    checkpoint.close();
                }
            }
        }
    }

    /** Configures a {@link DeepSeekEngine}. */
    public static final class Builder {
        private DeepSeekConfig config;
        private Path modelDirectory;
        private long seed = 1;
        private int firstLayer = -1;
        private int endLayer = -1;
        private int ranks = 1;
        private AttentionMode attention = AttentionMode.DP;
        private DType weightDType = DType.F32;
        private LinkEmulation link;
        private InterconnectEstimate assumedLink = new InterconnectEstimate(25, 20);
        private String backend;
        private boolean tracing = true;
        private int computeThreads = 1;
        private double flopsPerSecond;
        private int minMicroBatchTokens = 4;
        private dev.tandem.deepseek.model.MlaMode mla = dev.tandem.deepseek.model.MlaMode.AUTO;

        /** MLA form per request chunk (AUTO: absorbed where cheaper, e.g. decode steps). */
        public Builder mla(dev.tandem.deepseek.model.MlaMode mode) {
            this.mla = Objects.requireNonNull(mode);
            return this;
        }

        public Builder preset(String name) {
            this.config = DeepSeekConfig.preset(name);
            return this;
        }

        public Builder config(DeepSeekConfig c) {
            this.config = c;
            return this;
        }

        /** A HuggingFace checkpoint directory (config.json plus safetensors). */
        public Builder modelDirectory(Path dir) {
            this.modelDirectory = dir;
            return this;
        }

        public Builder randomWeights(long s) {
            this.seed = s;
            return this;
        }

        /** Decoder layers {@code [first, end)}. */
        public Builder layers(int first, int end) {
            this.firstLayer = first;
            this.endLayer = end;
            return this;
        }

        public Builder ranks(int p) {
            this.ranks = p;
            return this;
        }

        public Builder attention(AttentionMode mode) {
            this.attention = mode;
            return this;
        }

        public Builder weightDType(DType dtype) {
            this.weightDType = dtype;
            return this;
        }

        /** An emulated link (host backend); also what the cost model assumes. */
        public Builder link(LinkEmulation l) {
            this.link = l;
            return this;
        }

        /** What the cost model assumes of a real interconnect when no emulated link is set. */
        public Builder assumedLink(InterconnectEstimate l) {
            this.assumedLink = Objects.requireNonNull(l);
            return this;
        }

        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        /** Whether forwards are traced (needed for overlap reports); on by default. */
        public Builder tracing(boolean on) {
            this.tracing = on;
            return this;
        }

        /** Host backend: threads per device's kernels (1 by default, so ranks do not fight for cores). */
        public Builder computeThreads(int threads) {
            this.computeThreads = threads;
            return this;
        }

        /** Skips the start-up calibration and uses this compute rate in the cost model. */
        public Builder flopsPerSecond(double rate) {
            this.flopsPerSecond = rate;
            return this;
        }

        /** Smallest micro-batch the planner makes. */
        public Builder minMicroBatchTokens(int tokens) {
            this.minMicroBatchTokens = tokens;
            return this;
        }

        public DeepSeekEngine build() {
            return new DeepSeekEngine(this);
        }
    }
}
