package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.cost.DeepSeekStageCosts;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.MicroBatchPlanner;
import dev.tandem.runtime.schedule.OverlapAdvisor;
import dev.tandem.runtime.schedule.RequestShape;
import dev.tandem.runtime.trace.OverlapReport;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one engine step: plans the batch into micro-batches, picks sequential or overlapped scheduling (as asked,
 * or for {@code auto} as the engine's {@link StepScheduleAdvisor} advises for this batch, by default the
 * {@link OverlapAdvisor} over the analytic stage costs), runs it on the {@link DecoderRunner} and measures it.
 * Used only from the engine's scheduler thread.
 */
final class StepExecutor {
    private static final System.Logger LOG = System.getLogger(StepExecutor.class.getName());
    private final TandemRuntime runtime;
    private final DecoderRunner runner;
    private final MicroBatchPlanner planner;
    private final DeepSeekStageCosts costs;
    private final StepScheduleAdvisor advisor;

    /** An executor deciding {@code auto} with {@code advisor}, or if null with the analytic one over {@code costs}. */
    StepExecutor(TandemRuntime runtime, DecoderRunner runner, MicroBatchPlanner planner, DeepSeekStageCosts costs,
                 StepScheduleAdvisor advisor) {
        this.runtime = runtime;
        this.runner = runner;
        this.planner = planner;
        this.costs = costs;
        this.advisor = advisor;
    }

    /** Plans and runs one engine step; the schedule is {@code choice}, or the advisor's for {@code auto}. */
    ForwardResult execute(List<Request> requests, ScheduleChoice choice) {
        var shapes = runner.shapes(requests);
        MicroBatchPlan plan;
        boolean overlap;
        String decision;
        switch (choice.kind()) {
            case SEQUENTIAL -> {
                plan = planner.plan(shapes, choice.microBatches());   // several only to compare against overlap
                overlap = false;
                decision = "sequential (requested)";
            }
            case OVERLAPPED -> {
                plan = planner.plan(shapes, choice.microBatches());
                overlap = plan.isSplit();
                decision = overlap ? "overlapped (requested): " + plan.reason() : "sequential: " + plan.reason();
            }
            default -> {
                Auto auto = advisor == null ? analytic(shapes, choice.microBatches())
                        : advised(shapes, choice.microBatches());
                plan = auto.plan();
                overlap = auto.overlap();
                decision = auto.decision();
            }
        }
        boolean tracing = runtime.tracer().isEnabled();
        if (tracing) {
            runtime.tracer().clear();
        }
        long start = System.nanoTime();
        float[] hidden = runner.forward(requests, plan, overlap ? Scheduling.OVERLAPPED : Scheduling.SEQUENTIAL);
        long wall = System.nanoTime() - start;
        OverlapReport report = tracing ? OverlapReport.of(runtime.tracer().spans()) : OverlapReport.empty();
        return new ForwardResult(hidden, plan, overlap, decision, wall, report);
    }

    /** An auto step's schedule: the plan, whether to overlap it, and why. */
    private record Auto(MicroBatchPlan plan, boolean overlap, String decision) {
    }

    /** The default: {@link OverlapAdvisor} over the analytic stage costs, at least 5% gain to overlap. */
    private Auto analytic(List<RequestShape> shapes, int maxMicroBatches) {
        OverlapAdvisor.Advice advice = new OverlapAdvisor(planner, costs, maxMicroBatches, 0.05)
                .advise(runner.program(0), shapes);
        return new Auto(advice.plan(), advice.overlap(), advice.reason());
    }

    /** The engine's {@link StepScheduleAdvisor}: its count cut to the maximum, the split made by our planner. */
    private Auto advised(List<RequestShape> shapes, int maxMicroBatches) {
        StepScheduleAdvisor.Advice advice;
        try {
            advice = advisor.advise(shapes, maxMicroBatches);
        } catch (RuntimeException e) {
            // the advisor's failure is not the requests': they run sequentially, the safe schedule
            LOG.log(Level.WARNING, "the schedule advisor failed; running the step sequentially", e);
            advice = new StepScheduleAdvisor.Advice(1, "sequential: the schedule advisor failed (" + e + ")");
        }
        int n = Math.min(advice.microBatches(), maxMicroBatches);
        MicroBatchPlan plan = planner.plan(shapes, n);
        String decision = advice.reason();
        if (advice.microBatches() > maxMicroBatches) {
            decision += " (" + advice.microBatches() + " micro-batches advised, more than auto(" + maxMicroBatches
                    + ") allows: " + n + " used)";
        }
        if (n > 1 && !plan.isSplit()) {
            decision = "sequential: the batch cannot be split as advised (" + plan.reason() + "); advice: " + decision;
        }
        return new Auto(plan, plan.isSplit(), decision);
    }

    /** Runs {@code requests} under temporary ids (forgotten afterwards) with a fixed plan size and scheduling. */
    float[] runTemporarily(List<Request> requests, int microBatches, Scheduling scheduling) {
        long base = Long.MIN_VALUE / 2 + System.nanoTime() % 1_000_000 * 1_000;
        List<Request> temporary = new ArrayList<>();
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
}
