package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.cost.DeepSeekStageCosts;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.MicroBatchPlanner;
import dev.tandem.runtime.schedule.OverlapAdvisor;
import dev.tandem.runtime.trace.OverlapReport;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs one engine step: plans the batch into micro-batches, picks sequential or overlapped scheduling (as asked,
 * or as the {@link OverlapAdvisor} advises for this batch), runs it on the {@link DecoderRunner} and measures it.
 * Used only from the engine's scheduler thread.
 */
final class StepExecutor {
    private final TandemRuntime runtime;
    private final DecoderRunner runner;
    private final MicroBatchPlanner planner;
    private final DeepSeekStageCosts costs;

    StepExecutor(TandemRuntime runtime, DecoderRunner runner, MicroBatchPlanner planner, DeepSeekStageCosts costs) {
        this.runtime = runtime;
        this.runner = runner;
        this.planner = planner;
        this.costs = costs;
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
        OverlapReport report = tracing ? OverlapReport.of(runtime.tracer().spans()) : OverlapReport.empty();
        return new ForwardResult(hidden, plan, overlap, decision, wall, report);
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
