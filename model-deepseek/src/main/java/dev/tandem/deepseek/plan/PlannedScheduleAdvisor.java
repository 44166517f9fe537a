package dev.tandem.deepseek.plan;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The capacity planner's prediction as a schedule decision, for a serving engine's {@code ScheduleChoice.auto}:
 * given the deployment (model, layers, hardware profile, layout, quantisation, routing model: a {@link PlanSetup}
 * whose batch fields are ignored) and one step's batch, it simulates the step with {@link CapacityPlanner} and says
 * whether to overlap, over how many micro-batches, the predicted speed-up and why.
 *
 * <p>Not yet called by {@code DeepSeekEngine}, which decides {@code auto} with {@code OverlapAdvisor}'s analytic
 * stage costs; an engine that wants the simulated prediction instead builds one advisor per deployment and calls
 * {@link #advise} per step. A simulation takes from tens of milliseconds (small models, few layers) to about a
 * second (a full DeepSeek-R1 step on one core), so decisions are cached per batch shape (the last
 * {@link #CACHE_SIZE}); an engine should round lengths to a few buckets before asking. Thread-safe.
 */
public final class PlannedScheduleAdvisor {
    /** Batch shapes whose advice is kept. */
    public static final int CACHE_SIZE = 256;

    /**
     * One decision.
     *
     * @param overlap      whether to run the overlapped schedule
     * @param microBatches micro-batches to split into (1 when not overlapping)
     * @param speedup      predicted sequential step time over the chosen schedule's (1 for sequential)
     * @param reason       the planner's reason, for logs
     */
    public record Advice(boolean overlap, int microBatches, double speedup, String reason) {
    }

    private record Shape(int prefillCount, int prefillLength, int decodeBatch, int decodeContext) {
    }

    private final PlanSetup deployment;
    private final Map<Shape, Advice> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Shape, Advice> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    /**
     * An advisor for {@code deployment}; its {@code microBatches} is the most micro-batches tried (2 = DBO) and
     * its batch fields are replaced by each step's.
     * @param deployment the deployment
     * @throws NullPointerException if {@code deployment} is null
     */
    public PlannedScheduleAdvisor(PlanSetup deployment) {
        this.deployment = java.util.Objects.requireNonNull(deployment, "deployment");
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
     * Advice for a step of {@code prefillCount} prefills of {@code prefillLength} new tokens plus
     * {@code decodeBatch} decode requests over {@code decodeContext} cached tokens each.
     * @param prefillCount  prefill requests in the step
     * @param prefillLength new tokens of each prefill
     * @param decodeBatch   decode requests in the step (one new token each)
     * @param decodeContext cached tokens of each decode request
     * @return the decision, cached per batch shape
     */
    public Advice advise(int prefillCount, int prefillLength, int decodeBatch, int decodeContext) {
        Shape key = new Shape(prefillCount, prefillLength, decodeBatch, decodeContext);
        synchronized (cache) {
            Advice known = cache.get(key);
            if (known != null) {
                return known;
            }
        }
        PlanSetup step = deployment.withPrefill(prefillCount, prefillLength).withDecode(decodeBatch, decodeContext);
        CapacityPlanner.Plan plan = CapacityPlanner.plan(step);
        CapacityPlanner.Prediction pick = plan.pick();
        boolean overlap = pick != plan.sequential() && pick.microBatches() >= 2;
        Advice advice = new Advice(overlap, overlap ? pick.microBatches() : 1, overlap ? plan.speedup(pick) : 1.0,
                plan.reason());
        synchronized (cache) {
            cache.put(key, advice);
        }
        return advice;
    }
}
