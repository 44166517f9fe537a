package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.serving.StepScheduleAdvisor;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.schedule.RequestShape;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The capacity planner's prediction as a serving engine's {@code ScheduleChoice.auto} decision: given a deployment
 * (model, layers, hardware profile, layout, quantisation, routing model: a {@link PlanSetup} whose batch fields are
 * ignored) and one step's batch, it simulates the step with {@link CapacityPlanner} and says whether to overlap, over
 * how many micro-batches, the predicted speed-up and why. Give it to {@code DeepSeekEngine.Builder.scheduleAdvisor}
 * to decide the engine's {@code auto} steps with it instead of the analytic cost model; {@link PlanSetup#engine}
 * builds the deployment of an engine, costed with the machine it runs on ({@link PlanSetup#hostProfile}) or with a
 * shipped profile (how the same layout would schedule on that hardware).
 *
 * <p>An engine step's batch maps onto the planner's batch shape ({@link BatchShape#of}): its decode requests (one
 * new token after a cached context) become {@code decodeBatch x decodeContext} with their mean context, the others
 * {@code prefillCount x prefillLength} with their mean new tokens (a continued prefill chunk's cached tokens are not
 * modelled). Each of the four numbers is then rounded to the nearest power of two ({@link BatchShape#bucket}: a
 * factor of at most about 1.41 either way), so that a serving stack meets a few shapes, not one per step.
 *
 * <p>A simulation takes from tens of milliseconds (small models, few layers) to about a second (a full DeepSeek-R1
 * step on one core), so advice is cached per bucketed shape and micro-batch limit (the last {@link #CACHE_SIZE}); the
 * first step of a new shape pays the simulation, and its decision says "simulated in N ms" (later ones "cached").
 * Each simulation is logged ({@code System.Logger}, DEBUG) and counted ({@link #simulations}). {@link #warm} pays
 * it up front for the shapes a stack expects. Thread-safe and shareable by several engines: a shape being simulated
 * is simulated once, and concurrent steps of that shape wait for it.
 */
public final class PlannedScheduleAdvisor implements StepScheduleAdvisor {
    /** Batch shapes whose advice is kept. */
    public static final int CACHE_SIZE = 256;
    /** The most micro-batches the planner simulates. */
    public static final int MAX_MICRO_BATCHES = 4;

    private static final System.Logger LOG = System.getLogger(PlannedScheduleAdvisor.class.getName());

    /**
     * One decision.
     *
     * @param overlap         whether to run the overlapped schedule
     * @param microBatches    micro-batches to split into (1 when not overlapping)
     * @param speedup         predicted sequential step time over the chosen schedule's (1 for sequential)
     * @param reason          the planner's reason, for logs
     * @param simulatedMillis how long the simulation behind this decision took (0 when none was needed)
     */
    public record PlannedAdvice(boolean overlap, int microBatches, double speedup, String reason,
                                long simulatedMillis) {
    }

    /**
     * A step's batch as the planner models it: {@code prefillCount} prefills of {@code prefillLength} new tokens plus
     * {@code decodeBatch} decode requests over {@code decodeContext} cached tokens each.
     *
     * @param prefillCount  prefill requests
     * @param prefillLength new tokens of each prefill
     * @param decodeBatch   decode requests (one new token each)
     * @param decodeContext cached tokens of each decode request
     */
    public record BatchShape(int prefillCount, int prefillLength, int decodeBatch, int decodeContext) {
        /**
         * Checks the counts.
         *
         * @throws InvalidArgumentException if a count is negative or the step has no tokens
         */
        public BatchShape {
            if (prefillCount < 0 || prefillLength < 0 || decodeBatch < 0 || decodeContext < 0) {
                throw new InvalidArgumentException("batch counts and lengths must not be negative, got " + describe(
                        prefillCount, prefillLength, decodeBatch, decodeContext));
            }
            if ((long) prefillCount * prefillLength + decodeBatch == 0) {
                throw new InvalidArgumentException("a batch shape needs at least one token, got " + describe(
                        prefillCount, prefillLength, decodeBatch, decodeContext));
            }
        }

        /**
         * The shape of an engine step's batch, exact but for the means: decode requests ({@link RequestShape#isDecode})
         * with their mean context rounded to the nearest token, the other requests as prefills of their mean new
         * tokens rounded likewise (at least 1).
         *
         * @param batch the step's requests, at least one
         * @return its shape
         * @throws InvalidArgumentException if {@code batch} is empty
         */
        public static BatchShape of(List<RequestShape> batch) {
            if (batch.isEmpty()) {
                throw new InvalidArgumentException("cannot shape an empty batch");
            }
            int prefills = 0;
            long prefillTokens = 0;
            int decodes = 0;
            long context = 0;
            for (RequestShape q : batch) {
                if (q.isDecode()) {
                    decodes++;
                    context += q.cachedTokens();
                } else {
                    prefills++;
                    prefillTokens += q.newTokens();
                }
            }
            int prefillLength = prefills == 0 ? 0 : (int) Math.max(1, Math.round((double) prefillTokens / prefills));
            int decodeContext = decodes == 0 ? 0 : (int) Math.round((double) context / decodes);
            return new BatchShape(prefills, prefillLength, decodes, decodeContext);
        }

        /**
         * This shape with each number rounded by {@link #bucket}.
         *
         * @return the bucketed shape
         */
        public BatchShape bucketed() {
            return new BatchShape(bucket(prefillCount), bucket(prefillLength), bucket(decodeBatch),
                    bucket(decodeContext));
        }

        /**
         * The bucket of a count: 0 stays 0, otherwise the nearest power of two on a log scale (the boundary between
         * 2^k and 2^(k+1) is 2^k x sqrt 2; e.g. 3 and 5 go to 4, 6 goes to 8), so a bucket is off by a factor of
         * at most about 1.41.
         *
         * @param n a count, not negative
         * @return its bucket
         * @throws InvalidArgumentException if {@code n} is negative
         */
        public static int bucket(int n) {
            if (n < 0) {
                throw new InvalidArgumentException("cannot bucket a negative count " + n);
            }
            if (n == 0) {
                return 0;
            }
            long lower = Integer.highestOneBit(n);
            return (long) n * n >= 2 * lower * lower ? (int) Math.min(Integer.MAX_VALUE, 2 * lower) : (int) lower;
        }

        /**
         * The buckets up to {@code max}'s: 1, 2, 4, ... {@code bucket(max)}, for {@link #warm}ing.
         *
         * @param max the largest count expected, at least 1
         * @return the powers of two up to its bucket
         * @throws InvalidArgumentException if {@code max < 1}
         */
        public static List<Integer> bucketsUpTo(int max) {
            if (max < 1) {
                throw new InvalidArgumentException("buckets need a positive bound, got " + max);
            }
            List<Integer> out = new ArrayList<>();
            for (long b = 1; b <= bucket(max); b *= 2) {
                out.add((int) b);
            }
            return out;
        }

        @Override
        public String toString() {
            return describe(prefillCount, prefillLength, decodeBatch, decodeContext);
        }

        private static String describe(int pc, int pl, int db, int dc) {
            return "prefill " + pc + "x" + pl + " + decode " + db + "x" + dc;
        }
    }

    private record Key(BatchShape shape, int maxMicroBatches) {
    }

    private final PlanSetup deployment;
    private final Function<List<PlanSetup>, List<CapacityPlanner.Plan>> planner;
    private final Map<Key, CompletableFuture<PlannedAdvice>> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, CompletableFuture<PlannedAdvice>> eldest) {
            return size() > CACHE_SIZE;
        }
    };
    private final AtomicLong simulations = new AtomicLong();
    private final AtomicLong simulatedMillis = new AtomicLong();

    /**
     * An advisor for {@code deployment}; its {@code microBatches} is the most micro-batches tried by
     * {@link #advise(int, int, int, int)} (an engine step tries up to its {@code auto} maximum instead) and its batch
     * fields are replaced by each step's.
     *
     * @param deployment the deployment
     * @throws NullPointerException if {@code deployment} is null
     */
    public PlannedScheduleAdvisor(PlanSetup deployment) {
        this(deployment, setups -> CapacityPlanner.plan(setups, true));
    }

    /** An advisor whose simulations {@code planner} runs (tests put a failing or counting one here). */
    PlannedScheduleAdvisor(PlanSetup deployment, Function<List<PlanSetup>, List<CapacityPlanner.Plan>> planner) {
        this.deployment = Objects.requireNonNull(deployment, "deployment");
        this.planner = Objects.requireNonNull(planner, "planner");
    }

    /**
     * The deployment advised on.
     *
     * @return the deployment given to the constructor
     */
    public PlanSetup deployment() {
        return deployment;
    }

    /**
     * Advice for exactly this shape (not bucketed), trying up to the deployment's micro-batches.
     *
     * @param prefillCount  prefill requests in the step
     * @param prefillLength new tokens of each prefill
     * @param decodeBatch   decode requests in the step (one new token each)
     * @param decodeContext cached tokens of each decode request
     * @return the decision, cached per batch shape
     * @throws InvalidArgumentException if the shape has no tokens or a negative number
     */
    public PlannedAdvice advise(int prefillCount, int prefillLength, int decodeBatch, int decodeContext) {
        return advise(new BatchShape(prefillCount, prefillLength, decodeBatch, decodeContext),
                deployment.microBatches());
    }

    /**
     * Advice for exactly this shape (not bucketed), trying up to {@code maxMicroBatches} micro-batches.
     *
     * @param shape           the step's batch
     * @param maxMicroBatches the most micro-batches to try, at least 1 ({@value #MAX_MICRO_BATCHES} are tried at most)
     * @return the decision, cached per shape and limit
     * @throws InvalidArgumentException if {@code maxMicroBatches < 1}
     */
    public PlannedAdvice advise(BatchShape shape, int maxMicroBatches) {
        return lookup(key(shape, maxMicroBatches)).advice();
    }

    /**
     * An engine step's decision: the batch's {@link BatchShape#of shape}, {@link BatchShape#bucketed bucketed},
     * simulated once per bucket and limit. The reason says it came from the capacity planner, for which bucket and
     * deployment, whether this step simulated it (and how long that took) or found it cached, and the planner's
     * own reason.
     *
     * @param batch           the step's requests
     * @param maxMicroBatches the most micro-batches the step may use, at least 1
     * @return the decision, at most {@code min(maxMicroBatches, 4)} micro-batches
     * @throws InvalidArgumentException if {@code batch} is empty or {@code maxMicroBatches < 1}
     */
    @Override
    public StepScheduleAdvisor.Advice advise(List<RequestShape> batch, int maxMicroBatches) {
        BatchShape exact = BatchShape.of(batch);
        Key key = key(exact.bucketed(), maxMicroBatches);
        Lookup found = lookup(key);
        PlannedAdvice a = found.advice();
        String how = switch (found.source()) {
            case SIMULATED -> "simulated in " + a.simulatedMillis() + " ms";
            case SHARED -> "simulated in " + a.simulatedMillis() + " ms by a concurrent step";
            case CACHED -> "cached";
        };
        String shape = key.shape().equals(exact) ? key.shape().toString() : key.shape() + " (bucket of " + exact + ")";
        return new StepScheduleAdvisor.Advice(a.microBatches(), "capacity planner for " + shape + " on "
                + deploymentName() + ", " + how + ": " + a.reason());
    }

    /**
     * Simulates now, together, the shapes not yet cached, so that the steps of a serving stack find them cached:
     * each shape is bucketed first, as an engine step's is. Shapes being simulated by a step at the same time are
     * waited for, not simulated again.
     *
     * @param shapes          the shapes a stack expects (e.g. from {@link BatchShape#bucketsUpTo})
     * @param maxMicroBatches the engine's {@code auto} maximum, at least 1
     * @return how many shapes this call simulated
     * @throws InvalidArgumentException if {@code maxMicroBatches < 1}
     */
    public int warm(Collection<BatchShape> shapes, int maxMicroBatches) {
        LinkedHashSet<Key> keys = new LinkedHashSet<>();
        for (BatchShape s : shapes) {
            keys.add(key(s.bucketed(), maxMicroBatches));
        }
        Map<Key, CompletableFuture<PlannedAdvice>> mine = new LinkedHashMap<>();
        List<CompletableFuture<PlannedAdvice>> others = new ArrayList<>();
        synchronized (cache) {
            for (Key k : keys) {
                CompletableFuture<PlannedAdvice> f = cache.get(k);
                if (f == null) {
                    f = new CompletableFuture<>();
                    cache.put(k, f);
                    mine.put(k, f);
                } else {
                    others.add(f);
                }
            }
        }
        simulate(mine);
        others.forEach(PlannedScheduleAdvisor::join);
        return mine.size();
    }

    /**
     * Simulations run so far (by steps and by {@link #warm}); a cached decision runs none.
     *
     * @return the number of shapes simulated
     */
    public long simulations() {
        return simulations.get();
    }

    /**
     * Real time the simulations took, summed.
     *
     * @return milliseconds
     */
    public long simulatedMillis() {
        return simulatedMillis.get();
    }

    private String deploymentName() {
        return deployment.ep() + " x " + deployment.profile().name();
    }

    private static Key key(BatchShape shape, int maxMicroBatches) {
        Objects.requireNonNull(shape, "shape");
        if (maxMicroBatches < 1) {
            throw new InvalidArgumentException("max micro-batches must be at least 1, got " + maxMicroBatches);
        }
        return new Key(shape, Math.min(maxMicroBatches, MAX_MICRO_BATCHES));
    }

    private enum Source { SIMULATED, SHARED, CACHED }

    private record Lookup(PlannedAdvice advice, Source source) {
    }

    private Lookup lookup(Key key) {
        CompletableFuture<PlannedAdvice> f;
        boolean mine = false;
        synchronized (cache) {
            f = cache.get(key);
            if (f == null) {
                f = new CompletableFuture<>();
                cache.put(key, f);
                mine = true;
            }
        }
        if (mine) {
            simulate(Map.of(key, f));
            return new Lookup(join(f), Source.SIMULATED);
        }
        boolean done = f.isDone();
        return new Lookup(join(f), done ? Source.CACHED : Source.SHARED);
    }

    /**
     * Simulates the claimed shapes (one machine per processor, shared) and completes their futures; on failure every
     * claimed future fails with the cause and leaves the cache, so that the next step of such a shape tries again.
     */
    private void simulate(Map<Key, CompletableFuture<PlannedAdvice>> claimed) {
        try {
            List<Key> keys = new ArrayList<>();
            List<PlanSetup> setups = new ArrayList<>();
            for (Key k : claimed.keySet()) {
                if (k.maxMicroBatches() == 1) {
                    claimed.get(k).complete(new PlannedAdvice(false, 1, 1.0,
                            "sequential: auto(1) allows one micro-batch", 0));
                    continue;
                }
                BatchShape s = k.shape();
                keys.add(k);
                setups.add(new PlanSetup(deployment.modelName(), deployment.model(), deployment.layers(),
                        deployment.profile(), deployment.nodes(), deployment.attention(), deployment.tp(),
                        deployment.ep(), deployment.quant(), s.prefillCount(), s.prefillLength(), s.decodeBatch(),
                        s.decodeContext(), k.maxMicroBatches(), deployment.routing()));
            }
            if (keys.isEmpty()) {
                return;
            }
            List<CapacityPlanner.Plan> plans = planner.apply(setups);
            for (int i = 0; i < keys.size(); i++) {
                CapacityPlanner.Plan plan = plans.get(i);
                CapacityPlanner.Prediction pick = plan.pick();
                boolean overlap = pick != plan.sequential() && pick.microBatches() >= 2;
                Key key = keys.get(i);
                simulations.incrementAndGet();
                simulatedMillis.addAndGet(plan.simMillis());
                LOG.log(Level.DEBUG, () -> String.format(Locale.ROOT,
                        "capacity planner: %s on %s simulated in %d ms: %s", key.shape(), deploymentName(),
                        plan.simMillis(), plan.reason()));
                claimed.get(key).complete(new PlannedAdvice(overlap, overlap ? pick.microBatches() : 1,
                        overlap ? plan.speedup(pick) : 1.0, plan.reason(), plan.simMillis()));
            }
        } catch (RuntimeException | Error e) {
            synchronized (cache) {
                claimed.forEach((k, f) -> {
                    if (!f.isDone()) {
                        cache.remove(k, f);
                    }
                });
            }
            claimed.values().forEach(f -> f.completeExceptionally(e));
            throw e;
        }
    }

    private static PlannedAdvice join(CompletableFuture<PlannedAdvice> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }
}
