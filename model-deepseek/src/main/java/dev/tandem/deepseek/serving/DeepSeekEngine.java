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
import dev.tandem.runtime.schedule.MicroBatchPlanner;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The entry point for serving stacks: DeepSeek decoder layers on P expert-parallel ranks of one runtime. Safe from
 * any number of threads. Each submitted step (a request's prefill or decode tokens: hidden states and positions)
 * goes into the engine's scheduler thread, which builds every engine step from what is waiting: continuous batching
 * of prefill and decode steps under a token budget and a sequence cap, long prompts chunked across engine steps,
 * and the schedule of each engine step (sequential, dual-batch overlap or N micro-batches) chosen for that batch as
 * {@link #builder()}'s {@code schedule} says (by default the cost model's advice, or a {@link StepScheduleAdvisor}'s
 * such as the capacity planner's). KV caches persist per request id
 * until {@link #release}.
 *
 * <p>Failure isolation: steps are validated on submit ({@link InvalidRequestException}) without touching the
 * running batch. When an engine step fails, its caches return to what they were before it, the ranks abort the
 * step together at once (no collective timeout), and each of its requests is retried alone: the ones that fail
 * alone fail with the root cause, end, and have their caches released; every other request keeps being served.
 * A request whose step is cancelled or misses its deadline ends the same way. After {@link #close} every call
 * throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (DeepSeekEngine engine = DeepSeekEngine.builder().preset("tiny-v3").randomWeights(7).ranks(2).build()) {
 *     CompletableFuture<StepResult> prefill = engine.submit(1, hidden, new int[]{0, 1, 2, 3});
 *     float[] out = prefill.join().hidden();
 *     ForwardResult r = engine.forward(List.of(new DecoderRunner.Request(1, next, new int[]{4})), ScheduleChoice.auto(2));
 *     System.out.println(r.decision() + "\n" + r.report().describe());
 * }
 * }</pre>
 */
public final class DeepSeekEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DeepSeekEngine.class.getName());

    private final TandemRuntime runtime;
    private final DecoderRunner runner;
    private final Checkpoint checkpoint;
    private final DeepSeekConfig config;
    private final StepExecutor executor;
    private final double flopsPerSecond;
    private final ScheduleChoice schedule;
    private final int tokenBudget;
    private final int maxSequences;
    private final boolean checkFinite;
    private final KvAdmission kv;
    private final StepReporter reporter;

    private final Object lock = new Object();
    /** Waiting steps per request, requests in the order they started waiting (round robin across engine steps). */
    private final LinkedHashMap<Long, ArrayDeque<PendingStep>> waiting = new LinkedHashMap<>();
    /** The position the next step of each live request must start at (cached plus queued tokens). */
    private final Map<Long, Integer> nextPosition = new HashMap<>();
    private final ArrayDeque<FutureTask<?>> jobs = new ArrayDeque<>();
    private int queuedSteps;
    private boolean closed;
    private final Thread scheduler;

    private DeepSeekEngine(Builder b) {
        Checkpoint ckpt = b.modelDirectory == null ? null : Checkpoint.open(b.modelDirectory);
        this.checkpoint = ckpt;
        this.config = ckpt != null ? ckpt.config() : Objects.requireNonNull(b.config, "a preset, config or model directory is required");
        WeightSource weights = ckpt != null ? WeightSource.checkpoint(ckpt) : WeightSource.random(config, b.seed);
        int first = b.firstLayer < 0 ? 0 : b.firstLayer;
        int end = b.endLayer < 0 ? config.numHiddenLayers() : b.endLayer;
        RuntimeOptions runtimeOptions = RuntimeOptions.defaults().withBackend(b.backend).withDeviceCount(b.ranks)
                .withComputeThreads(b.computeThreads).withTracing(b.tracing)
                .withDeviceMemoryBytes(b.deviceMemoryBytes);
        for (var e : b.runtimeProperties.entrySet()) {
            runtimeOptions = runtimeOptions.withProperty(e.getKey(), e.getValue());
        }
        try {
            this.runtime = TandemRuntime.open(runtimeOptions);
        } catch (RuntimeException e) {
            if (ckpt != null) {
                ckpt.close();
            }
            throw e;
        }
        try {
            CommunicatorOptions comm = CommunicatorOptions.defaults().withLink(b.link).withTimeout(b.collectiveTimeout);
            this.runner = new DecoderRunner(runtime, config, weights, first, end,
                    DecoderRunner.Options.defaults(b.ranks).withAttention(b.attention).withWeightDType(b.weightDType)
                            .withCommunicatorOptions(comm).withMla(b.mla));
            this.flopsPerSecond = b.flopsPerSecond > 0 ? b.flopsPerSecond : ComputeRate.measure(runtime.device(0), 128, 512, 512);
        } catch (RuntimeException e) {
            runtime.close();
            if (ckpt != null) {
                ckpt.close();
            }
            throw e;
        }
        MicroBatchPlanner planner = MicroBatchPlanner.Options.defaults().minTokens(b.minMicroBatchTokens)
                .cost(DeepSeekStageCosts.plannerCostModel(config)).build();
        InterconnectEstimate assumed = b.link != null ? InterconnectEstimate.of(b.link) : b.assumedLink;
        this.executor = new StepExecutor(runtime, runner, planner,
                new DeepSeekStageCosts(config, b.ranks, b.attention, flopsPerSecond, assumed), b.scheduleAdvisor);
        this.schedule = b.schedule;
        this.tokenBudget = b.tokenBudget;
        this.maxSequences = b.maxSequences;
        this.checkFinite = b.checkFinite;
        this.kv = new KvAdmission(runner, b.kvBudgetBytes, b.kvFailFast,
                (long) (end - first) * (config.kvLoraRank() + config.qkRopeHeadDim()) * Float.BYTES);
        this.reporter = new StepReporter(b.listeners);
        this.scheduler = Thread.ofPlatform().name("tandem-engine-scheduler").daemon(true).unstarted(this::schedulerLoop);
        scheduler.start();
    }

    /** {@return a new builder with the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the model config (from the checkpoint, or the preset or config given)} */
    public DeepSeekConfig config() {
        return config;
    }

    /**
     * The underlying runner (stage programs, schedules), for inspection only: it is not thread-safe, and the
     * engine's scheduler thread drives it.
     * @return the runner
     * @throws IllegalStateException if the engine is closed
     */
    public DecoderRunner runner() {
        checkOpen("runner");
        return runner;
    }

    /**
     * The runtime the engine runs on, for inspection only.
     *
     * @return the runtime
     * @throws IllegalStateException if the engine is closed
     */
    public TandemRuntime runtime() {
        checkOpen("runtime");
        return runtime;
    }

    /**
     * The compute rate the cost model uses (measured at start unless given).
     *
     * @return the rate in FLOP/s
     */
    public double flopsPerSecond() {
        return flopsPerSecond;
    }

    // ---- async API ----

    /**
     * Submits a step of request {@code id} without a deadline; see {@link #submit(long, float[], int[], Duration)}.
     *
     * @param id        the request id
     * @param hidden    {@code [n, hidden_size]} row-major layer input
     * @param positions {@code [n]} consecutive positions continuing the request
     * @return the step's future output
     * @throws InvalidRequestException if the step is invalid
     * @throws KvCacheFullException if the request alone cannot fit the cache budget
     * @throws IllegalStateException if the engine is closed
     */
    public CompletableFuture<StepResult> submit(long id, float[] hidden, int[] positions) {
        return submit(id, hidden, positions, null);
    }

    /**
     * Submits a step of request {@code id}: {@code hidden} {@code [n, hidden_size]} and consecutive positions that
     * continue the request (a new request starts at 0). Validated now; an invalid step throws
     * {@link InvalidRequestException} (or {@link KvCacheFullException} when the request alone cannot fit the cache
     * budget). The future completes with the step's output, or exceptionally with the root cause of a failure, a
     * {@link StepDeadlineException} once {@code deadline} (null for none) has passed, or a cancellation; in those
     * cases the request has ended and its cache is released. Cancelling the future cancels the step.
     * @param id        the request id
     * @param hidden    {@code [n, hidden_size]} row-major layer input
     * @param positions {@code [n]} consecutive positions continuing the request
     * @param deadline  how long the step may take from now, or null for no deadline
     * @return the step's future output
     * @throws InvalidRequestException if the step is invalid
     * @throws KvCacheFullException if the request alone cannot fit the cache budget
     * @throws IllegalStateException if the engine is closed
     */
    public CompletableFuture<StepResult> submit(long id, float[] hidden, int[] positions, Duration deadline) {
        StepValidation.check(config, id, hidden, positions, checkFinite);
        long now = System.nanoTime();
        long deadlineNanos = deadline == null ? Long.MAX_VALUE : now + Math.max(0, deadline.toNanos());
        PendingStep step = new PendingStep(id, hidden.clone(), positions.clone(), now, deadlineNanos);
        synchronized (lock) {
            checkOpen("submit");
            Integer expected = nextPosition.get(id);
            StepValidation.checkContinues(id, positions[0], expected == null ? 0 : expected, expected != null);
            int end = positions[0] + positions.length;
            kv.checkFitsAlone(id, end);
            nextPosition.put(id, end);
            waiting.computeIfAbsent(id, k -> new ArrayDeque<>()).addLast(step);
            queuedSteps++;
            lock.notifyAll();
        }
        return step.future;
    }

    // ---- blocking API ----

    /**
     * Runs {@code requests} as one engine step of their own with {@code choice} (request ids must be distinct and
     * may not have submitted steps waiting) and returns the output rows in request order. On failure the caches
     * are as they were before the call, the root cause is thrown and the engine keeps serving.
     * @param requests the requests, at least one, with distinct ids
     * @param choice   how the step is scheduled
     * @return the output rows and the step's schedule report
     * @throws InvalidRequestException if a request is invalid, repeated, or has submitted steps waiting
     * @throws IllegalArgumentException if {@code requests} is empty
     * @throws IllegalStateException if the engine is closed
     */
    public ForwardResult forward(List<Request> requests, ScheduleChoice choice) {
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(choice, "choice");
        checkOpen("forward");
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("a forward needs at least one request");
        }
        Map<Long, Request> byId = new LinkedHashMap<>();
        for (Request q : requests) {
            StepValidation.check(config, q.id(), q.hidden(), q.positions(), checkFinite);
            if (byId.put(q.id(), q) != null) {
                throw new InvalidRequestException(q.id(), "appears twice in one forward");
            }
        }
        return call("forward", () -> {
            synchronized (lock) {
                for (Request q : requests) {
                    if (waiting.containsKey(q.id())) {
                        throw new InvalidRequestException(q.id(), "has submitted steps still waiting; forward it "
                                + "after they complete");
                    }
                    Integer expected = nextPosition.get(q.id());
                    StepValidation.checkContinues(q.id(), q.positions()[0], expected == null ? 0 : expected,
                            expected != null);
                    kv.checkFitsAlone(q.id(), q.positions()[0] + q.tokens());
                }
            }
            int prefill = 0;
            int decode = 0;
            for (Request q : requests) {
                if (q.tokens() > 1) {
                    prefill += q.tokens();
                } else {
                    decode += q.tokens();
                }
            }
            StepEvent event = StepEvent.started();
            ForwardResult r;
            try {
                r = executor.execute(requests, choice);
            } catch (RuntimeException | Error e) {
                reporter.step(requests.size(), prefill, decode, null, true, event, queuedSteps());
                throw e;
            }
            reporter.step(requests.size(), prefill, decode, r, false, event, queuedSteps());
            synchronized (lock) {
                for (Request q : requests) {
                    nextPosition.put(q.id(), q.positions()[0] + q.tokens());
                }
            }
            return r;
        });
    }

    /**
     * Equivalence check: runs {@code requests} (which must be new, without cached tokens) sequentially and overlapped
     * over {@code microBatches} micro-batches under temporary ids, compares the outputs and forgets both runs.
     * @param requests     new requests, without cached tokens
     * @param microBatches micro-batches of the overlapped run
     * @return how far the two runs' outputs differ
     * @throws IllegalArgumentException if a request already has cached tokens
     * @throws IllegalStateException if the engine is closed
     */
    public EquivalenceReport checkEquivalence(List<Request> requests, int microBatches) {
        checkOpen("checkEquivalence");
        return call("checkEquivalence", () -> {
            for (Request q : requests) {
                if (runner.cachedTokens(q.id()) > 0) {
                    throw new IllegalArgumentException("equivalence check needs new requests; request " + q.id()
                            + " already has cached tokens");
                }
                StepValidation.check(config, q.id(), q.hidden(), q.positions(), checkFinite);
            }
            float[] sequential = executor.runTemporarily(requests, 1, Scheduling.SEQUENTIAL);
            float[] overlapped = executor.runTemporarily(requests, microBatches, Scheduling.OVERLAPPED);
            return EquivalenceReport.compare(sequential, overlapped);
        });
    }

    /**
     * Cached tokens of request {@code id} (0 if unknown).
     *
     * @param id the request id
     * @return the number of cached tokens
     * @throws IllegalStateException if the engine is closed
     */
    public int cachedTokens(long id) {
        checkOpen("cachedTokens");
        return call("cachedTokens", () -> runner.cachedTokens(id));
    }

    /**
     * Device bytes held by KV caches, per rank.
     *
     * @return the bytes of each rank, indexed by rank
     * @throws IllegalStateException if the engine is closed
     */
    public long[] cacheBytes() {
        checkOpen("cacheBytes");
        return call("cacheBytes", () -> {
            long[] out = new long[runner.rankCount()];
            for (int r = 0; r < out.length; r++) {
                out[r] = runner.cacheBytes(r);
            }
            return out;
        });
    }

    /**
     * Steps submitted and not yet completed.
     *
     * @return the number of queued steps
     */
    public int queuedSteps() {
        synchronized (lock) {
            return queuedSteps;
        }
    }

    /**
     * Ends request {@code id}: frees its KV caches; steps of it still waiting fail with
     * {@link CancellationException}. Its id may then start over at position 0.
     * @param id the request id
     * @throws IllegalStateException if the engine is closed
     */
    public void release(long id) {
        checkOpen("release");
        call("release", () -> {
            Runnable notice;
            synchronized (lock) {
                notice = endLater(id, new CancellationException("request " + id + " was released"));
            }
            notice.run();   // futures complete without the lock held: their callbacks may call the engine
            return null;
        });
    }

    // ---- scheduler ----

    /** One piece of a waiting step in an engine step: {@code tokens} tokens from its {@code done}-th. */
    private record Piece(PendingStep step, int from, int tokens) {
        Request request(int d) {
            return new Request(step.id, Arrays.copyOfRange(step.hidden, from * d, (from + tokens) * d),
                    Arrays.copyOfRange(step.positions, from, from + tokens));
        }
    }

    private void schedulerLoop() {
        while (true) {
            FutureTask<?> job = null;
            List<Piece> batch = List.of();
            List<Runnable> notices = new ArrayList<>();
            boolean stop = false;
            synchronized (lock) {
                while (true) {
                    if (closed) {
                        notices.addAll(shutDownQueues());
                        stop = true;
                        break;
                    }
                    job = jobs.pollFirst();
                    if (job != null) {
                        break;
                    }
                    dropEnded(notices);
                    batch = formBatch(notices);
                    if (!batch.isEmpty() || !notices.isEmpty()) {
                        break;
                    }
                    waitForWork();
                }
            }
            notices.forEach(Runnable::run);
            if (stop) {
                return;
            }
            if (job != null) {
                job.run();
            } else if (!batch.isEmpty()) {
                runBatch(batch);
            }
        }
    }

    private void waitForWork() {
        long now = System.nanoTime();
        long wake = Long.MAX_VALUE;
        for (ArrayDeque<PendingStep> q : waiting.values()) {
            for (PendingStep s : q) {
                wake = Math.min(wake, s.deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : s.deadlineNanos - now);
            }
        }
        // Cancellation completes a future without telling us: look again at least every 50 ms while work waits.
        long millis = waiting.isEmpty() ? 0 : Math.max(1, Math.min(50, wake / 1_000_000 + 1));
        try {
            lock.wait(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Ends requests whose waiting steps were cancelled, completed by their caller, or are past their deadline. */
    private void dropEnded(List<Runnable> notices) {
        long now = System.nanoTime();
        for (Long id : new ArrayList<>(waiting.keySet())) {
            for (PendingStep s : waiting.get(id)) {
                if (s.future.isDone()) {
                    notices.add(endLater(id, new CancellationException("a step of request " + id + " was cancelled")));
                    break;
                }
                if (s.expired(now)) {
                    notices.add(endLater(id, new StepDeadlineException("request " + id + ": the step at position "
                            + s.positions[0] + " missed its deadline after "
                            + Duration.ofNanos(now - s.submittedNanos).toMillis() + " ms (" + s.done + " of "
                            + s.tokens() + " tokens ran)")));
                    break;
                }
            }
        }
    }

    /** Continuous batching: one piece per request, in waiting order, under the token budget and sequence cap. */
    private List<Piece> formBatch(List<Runnable> notices) {
        List<Piece> batch = new ArrayList<>();
        int budget = tokenBudget;
        long[] projected = null;
        for (var e : new ArrayList<>(waiting.entrySet())) {
            if (batch.size() >= maxSequences || budget == 0) {
                break;
            }
            PendingStep s = e.getValue().peekFirst();
            int tokens = Math.min(s.remaining(), budget);
            if (kv.enabled()) {
                if (projected == null) {
                    projected = kv.projection();
                }
                if (!kv.admit(s.id, tokens, projected)) {
                    if (kv.aloneOnItsDevices(s.id, projected)) {
                        // nothing else holds cache where it goes: waiting would never end
                        notices.add(endLater(s.id, new KvCacheFullException("request " + s.id + ": " + tokens
                                + " more tokens need more than the KV-cache budget of " + kv.budgetBytes()
                                + " bytes per device even with no other request cached there")));
                    } else if (kv.failFast()) {
                        notices.add(endLater(s.id, new KvCacheFullException("request " + s.id + ": " + tokens
                                + " more tokens do not fit the KV-cache budget of " + kv.budgetBytes()
                                + " bytes per device, which other requests' caches take")));
                    }
                    continue;   // waits until other requests release their caches
                }
            }
            batch.add(new Piece(s, s.done, tokens));
            budget -= tokens;
        }
        return batch;
    }

    private void runBatch(List<Piece> batch) {
        int d = config.hiddenSize();
        List<Request> requests = new ArrayList<>();
        long now = System.nanoTime();
        for (Piece p : batch) {
            requests.add(p.request(d));
            if (p.step.startedNanos == 0) {
                p.step.startedNanos = now;
            }
        }
        StepEvent event = StepEvent.started();
        try {
            ForwardResult r = executor.execute(requests, schedule);
            deliver(batch, r.hidden());
            stepDone(batch, r, false, event);
        } catch (RuntimeException | Error e) {
            stepDone(batch, null, true, event);
            if (batch.size() == 1) {
                failRequest(batch.getFirst().step.id, e);
                return;
            }
            LOG.log(Level.WARNING, "an engine step of " + batch.size() + " requests failed (" + e
                    + "); retrying each request alone");
            for (int i = 0; i < batch.size(); i++) {
                Piece p = batch.get(i);
                StepEvent alone = StepEvent.started();
                try {
                    ForwardResult r = executor.execute(List.of(requests.get(i)), schedule);
                    deliver(List.of(p), r.hidden());
                    stepDone(List.of(p), r, false, alone);
                } catch (RuntimeException | Error failure) {
                    stepDone(List.of(p), null, true, alone);
                    failRequest(p.step.id, failure);
                }
            }
        }
    }

    private void deliver(List<Piece> batch, float[] hidden) {
        int d = config.hiddenSize();
        int row = 0;
        List<Runnable> notices = new ArrayList<>();
        for (Piece p : batch) {
            PendingStep s = p.step;
            System.arraycopy(hidden, row * d, s.out, p.from * d, p.tokens * d);
            row += p.tokens;
            s.done = p.from + p.tokens;
            s.engineSteps++;
            if (s.done < s.tokens()) {
                continue;
            }
            synchronized (lock) {
                ArrayDeque<PendingStep> q = waiting.get(s.id);
                if (q != null && q.peekFirst() == s) {
                    q.pollFirst();
                    queuedSteps--;
                    if (q.isEmpty()) {
                        waiting.remove(s.id);
                    }
                }
            }
            long end = System.nanoTime();
            StepResult result = new StepResult(s.id, s.out, s.positions[0], s.startedNanos - s.submittedNanos,
                    end - s.submittedNanos, s.engineSteps);
            notices.add(() -> {
                if (s.future.complete(result)) {
                    reporter.completed(result);
                }
            });
        }
        notices.forEach(Runnable::run);
    }

    private void stepDone(List<Piece> batch, ForwardResult r, boolean failed, StepEvent event) {
        int prefill = 0;
        int decode = 0;
        for (Piece p : batch) {
            if (p.step.tokens() > 1) {
                prefill += p.tokens;
            } else {
                decode += p.tokens;
            }
        }
        reporter.step(batch.size(), prefill, decode, r, failed, event, queuedSteps());
    }

    private void failRequest(long id, Throwable cause) {
        LOG.log(Level.DEBUG, "request " + id + " failed: " + cause);
        Runnable notice;
        synchronized (lock) {
            notice = endLater(id, cause);
        }
        notice.run();
    }

    /** Ends request {@code id} now (caller holds the lock); returns the notices to run without the lock. */
    private Runnable endLater(long id, Throwable cause) {
        ArrayDeque<PendingStep> q = waiting.remove(id);
        nextPosition.remove(id);
        runner.release(id);
        if (q == null) {
            return () -> { };
        }
        queuedSteps -= q.size();
        List<PendingStep> steps = new ArrayList<>(q);
        return () -> {
            boolean first = true;
            for (PendingStep s : steps) {
                Throwable t = first ? cause : new CancellationException("request " + id
                        + " ended before this step could run: " + cause);
                first = false;
                if (s.future.completeExceptionally(t)) {
                    reporter.failed(id, t);
                }
            }
        };
    }

    /** Ends every waiting request and cancels waiting jobs (caller holds the lock); returns the notices. */
    private List<Runnable> shutDownQueues() {
        List<Runnable> notices = new ArrayList<>();
        for (Long id : new ArrayList<>(waiting.keySet())) {
            notices.add(endLater(id, new IllegalStateException("the engine was closed")));
        }
        FutureTask<?> job;
        while ((job = jobs.pollFirst()) != null) {
            job.cancel(false);
        }
        return notices;
    }

    /** Runs {@code work} on the scheduler thread between engine steps and waits for it. */
    private <T> T call(String what, Callable<T> work) {
        if (Thread.currentThread() == scheduler) {
            throw new IllegalStateException(what + " blocks on the engine's scheduler thread and cannot be called "
                    + "from it (e.g. from a listener or a non-async future callback)");
        }
        FutureTask<T> task = new FutureTask<>(work);
        synchronized (lock) {
            checkOpen(what);
            jobs.addLast(task);
            lock.notifyAll();
        }
        try {
            return task.get();
        } catch (CancellationException e) {
            throw new IllegalStateException(what + ": the engine was closed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
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

    private void checkOpen(String what) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException(what + ": the engine is closed");
            }
        }
    }

    /** Fails waiting steps, stops the scheduler, then frees caches, weights and the runtime. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
        }
        if (Thread.currentThread() != scheduler) {
            try {
                scheduler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
        private Duration collectiveTimeout = CommunicatorOptions.DEFAULT_TIMEOUT;
        private long deviceMemoryBytes;
        private ScheduleChoice schedule = ScheduleChoice.auto(2);
        private StepScheduleAdvisor scheduleAdvisor;
        private int tokenBudget = 8192;
        private int maxSequences = 256;
        private boolean checkFinite = true;
        private long kvBudgetBytes;
        private boolean kvFailFast;
        private final List<EngineListener> listeners = new ArrayList<>();
        private final Map<String, String> runtimeProperties = new LinkedHashMap<>();

        /** A builder with the defaults; {@link DeepSeekEngine#builder()} returns one too. */
        public Builder() {
        }

        /**
         * A backend property for the runtime (e.g. the host backend's {@code host.gemm}).
         *
         * @param key   the property name
         * @param value the property value
         * @return this builder
         */
        public Builder runtimeProperty(String key, String value) {
            this.runtimeProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Memory per device (host backend: the emulated capacity; 0 for the runtime's default).
         *
         * @param bytes bytes per device, not negative
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder deviceMemory(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("device memory must not be negative, got " + bytes);
            }
            this.deviceMemoryBytes = bytes;
            return this;
        }

        /**
         * How long a rank waits for its peers at a collective before failing the step (60 s by default).
         *
         * @param timeout the timeout, positive
         * @return this builder
         * @throws IllegalArgumentException if the timeout is not positive
         */
        public Builder collectiveTimeout(Duration timeout) {
            this.collectiveTimeout = Objects.requireNonNull(timeout, "timeout");
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("collective timeout must be positive, got " + timeout);
            }
            return this;
        }

        /**
         * The schedule of each engine step built from submitted steps (auto with up to 2 micro-batches by default).
         *
         * @param choice the schedule
         * @return this builder
         */
        public Builder schedule(ScheduleChoice choice) {
            this.schedule = Objects.requireNonNull(choice, "schedule");
            return this;
        }

        /**
         * What decides the schedule of {@code auto} steps (engine steps under an {@code auto} {@link #schedule}, and
         * forwards given {@link ScheduleChoice#auto}). By default (null) the analytic cost model: {@code OverlapAdvisor}
         * over {@code DeepSeekStageCosts}' per-stage estimates with the measured (or given) compute rate and the
         * link. A {@code dev.tandem.deepseek.plan.PlannedScheduleAdvisor} decides from the capacity planner's
         * simulation of the step instead; one advisor may be shared by several engines.
         *
         * @param advisor the advisor, or null for the analytic default
         * @return this builder
         */
        public Builder scheduleAdvisor(StepScheduleAdvisor advisor) {
            this.scheduleAdvisor = advisor;
            return this;
        }

        /**
         * Most tokens in one engine step (8192 by default); longer prompts are prefilled in chunks.
         *
         * @param tokens the budget, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens < 1}
         */
        public Builder tokenBudget(int tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("token budget must be at least 1, got " + tokens);
            }
            this.tokenBudget = tokens;
            return this;
        }

        /**
         * Most requests in one engine step (256 by default).
         *
         * @param sequences the limit, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code sequences < 1}
         */
        public Builder maxSequences(int sequences) {
            if (sequences < 1) {
                throw new IllegalArgumentException("max sequences must be at least 1, got " + sequences);
            }
            this.maxSequences = sequences;
            return this;
        }

        /**
         * Rejects steps whose hidden states hold NaN or infinity on submit (on by default; one pass over the
         * values, far cheaper than the step). Off, such a step runs and yields non-finite outputs for its request.
         * @param on whether to check
         * @return this builder
         */
        public Builder checkFinite(boolean on) {
            this.checkFinite = on;
            return this;
        }

        /**
         * KV-cache budget per device in bytes (0, the default, for none). Steps wait for room (or fail with
         * {@link KvCacheFullException} when {@code failFast}); a request that alone needs more fails on submit.
         * @param bytesPerDevice the budget in bytes, 0 for none
         * @param failFast       whether a step that does not fit now fails instead of waiting
         * @return this builder
         * @throws IllegalArgumentException if {@code bytesPerDevice} is negative
         */
        public Builder kvCacheBudget(long bytesPerDevice, boolean failFast) {
            if (bytesPerDevice < 0) {
                throw new IllegalArgumentException("KV-cache budget must not be negative, got " + bytesPerDevice);
            }
            this.kvBudgetBytes = bytesPerDevice;
            this.kvFailFast = failFast;
            return this;
        }

        /**
         * Adds a metrics listener.
         *
         * @param listener the listener, called on the scheduler thread
         * @return this builder
         */
        public Builder listener(EngineListener listener) {
            this.listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * MLA form per request chunk (AUTO: absorbed where cheaper, e.g. decode steps).
         *
         * @param mode the MLA form
         * @return this builder
         */
        public Builder mla(dev.tandem.deepseek.model.MlaMode mode) {
            this.mla = Objects.requireNonNull(mode);
            return this;
        }

        /**
         * Uses a built-in config ({@link DeepSeekConfig#preset(String)}) with random weights.
         *
         * @param name the preset name
         * @return this builder
         * @throws dev.tandem.deepseek.config.ConfigException if the preset is unknown
         */
        public Builder preset(String name) {
            this.config = DeepSeekConfig.preset(name);
            return this;
        }

        /**
         * Uses this config with random weights.
         *
         * @param c the model config
         * @return this builder
         */
        public Builder config(DeepSeekConfig c) {
            this.config = c;
            return this;
        }

        /**
         * A HuggingFace checkpoint directory (config.json plus safetensors).
         *
         * @param dir the directory
         * @return this builder
         */
        public Builder modelDirectory(Path dir) {
            this.modelDirectory = dir;
            return this;
        }

        /**
         * The seed of the random weights used without a model directory (1 by default).
         *
         * @param s the seed
         * @return this builder
         */
        public Builder randomWeights(long s) {
            this.seed = s;
            return this;
        }

        /**
         * Decoder layers {@code [first, end)}.
         *
         * @param first first layer (zero-based); all layers by default
         * @param end   end layer (exclusive)
         * @return this builder
         */
        public Builder layers(int first, int end) {
            this.firstLayer = first;
            this.endLayer = end;
            return this;
        }

        /**
         * Ranks (devices) to run on, 1 by default.
         *
         * @param p the number of ranks
         * @return this builder
         */
        public Builder ranks(int p) {
            this.ranks = p;
            return this;
        }

        /**
         * How attention is parallelised over the ranks (DP by default).
         *
         * @param mode the attention mode
         * @return this builder
         */
        public Builder attention(AttentionMode mode) {
            this.attention = mode;
            return this;
        }

        /**
         * Device storage type of the large weights (F32 by default; compute is F32).
         *
         * @param dtype F32, BF16 or F16
         * @return this builder
         */
        public Builder weightDType(DType dtype) {
            this.weightDType = dtype;
            return this;
        }

        /**
         * An emulated link (host backend); also what the cost model assumes.
         *
         * @param l the emulated link
         * @return this builder
         */
        public Builder link(LinkEmulation l) {
            this.link = l;
            return this;
        }

        /**
         * What the cost model assumes of a real interconnect when no emulated link is set.
         *
         * @param l the assumed interconnect
         * @return this builder
         */
        public Builder assumedLink(InterconnectEstimate l) {
            this.assumedLink = Objects.requireNonNull(l);
            return this;
        }

        /**
         * The runtime backend by name, or null for the runtime's default.
         *
         * @param name the backend name
         * @return this builder
         */
        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        /**
         * Whether forwards are traced (needed for overlap reports); on by default.
         *
         * @param on whether to trace
         * @return this builder
         */
        public Builder tracing(boolean on) {
            this.tracing = on;
            return this;
        }

        /**
         * Host backend: threads per device's kernels (1 by default, so ranks do not fight for cores).
         *
         * @param threads threads per device, 0 for the runtime's default
         * @return this builder
         * @throws IllegalArgumentException if {@code threads} is negative
         */
        public Builder computeThreads(int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("compute threads must not be negative (0: the runtime's default), got "
                        + threads);
            }
            this.computeThreads = threads;
            return this;
        }

        /**
         * Skips the start-up calibration and uses this compute rate in the cost model.
         *
         * @param rate the compute rate in FLOP/s of one device
         * @return this builder
         */
        public Builder flopsPerSecond(double rate) {
            this.flopsPerSecond = rate;
            return this;
        }

        /**
         * Smallest micro-batch the planner makes.
         *
         * @param tokens the smallest micro-batch in tokens
         * @return this builder
         */
        public Builder minMicroBatchTokens(int tokens) {
            this.minMicroBatchTokens = tokens;
            return this;
        }

        /**
         * Opens the runtime, loads or draws the weights and starts the scheduler thread.
         *
         * @return the running engine; close it to free its devices
         */
        public DeepSeekEngine build() {
            return new DeepSeekEngine(this);
        }
    }
}
