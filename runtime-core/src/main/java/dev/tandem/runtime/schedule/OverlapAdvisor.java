package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.List;
import java.util.Locale;

/**
 * Chooses, before running anything, whether to overlap and into how many micro-batches to split: for each
 * candidate count it asks the {@link MicroBatchPlanner} for a cost-balanced split, predicts the overlapped
 * schedule's time with the {@link ScheduleSimulator} from per-stage estimates, and keeps the best; it falls back to
 * the sequential schedule unless overlap is predicted to win by at least {@code minGain}.
 */
public final class OverlapAdvisor {
    private final MicroBatchPlanner planner;
    private final StageCostEstimator costs;
    private final int maxMicroBatches;
    private final double minGain;

    /**
     * The decision, with the predictions behind it.
     *
     * @param plan       the split to run; one micro-batch when running sequentially
     * @param overlap    whether to run the overlapped schedule
     * @param sequential predicted totals of the sequential schedule
     * @param chosen     predicted totals of the chosen schedule (equal to {@code sequential} when not overlapping)
     * @param reason     a sentence for logs saying what was chosen and why
     */
    public record Advice(MicroBatchPlan plan, boolean overlap, ScheduleSimulator.Prediction sequential,
                         ScheduleSimulator.Prediction chosen, String reason) {
        /**
         * Predicted speed-up of the choice over the sequential schedule.
         *
         * @return sequential over chosen makespan; 1.0 when not overlapping or the chosen makespan is 0
         */
        public double predictedSpeedup() {
            return chosen.makespanNanos() == 0 ? 1.0 : (double) sequential.makespanNanos() / chosen.makespanNanos();
        }
    }

    /**
     * Creates an advisor.
     *
     * @param planner         splits the batch for each candidate micro-batch count
     * @param costs           estimates each stage's time for a micro-batch
     * @param maxMicroBatches largest split tried (2 is dual-batch overlap)
     * @param minGain         required predicted relative gain, e.g. 0.05 for 5%
     * @throws InvalidArgumentException if {@code maxMicroBatches} is below 1 or {@code minGain} is negative or not
     *                                  finite
     */
    public OverlapAdvisor(MicroBatchPlanner planner, StageCostEstimator costs, int maxMicroBatches, double minGain) {
        if (maxMicroBatches < 1) {
            throw new InvalidArgumentException("maxMicroBatches must be at least 1, got " + maxMicroBatches);
        }
        if (!(minGain >= 0) || !Double.isFinite(minGain)) {
            throw new InvalidArgumentException("minGain must be a non-negative fraction, got " + minGain);
        }
        this.planner = planner;
        this.costs = costs;
        this.maxMicroBatches = maxMicroBatches;
        this.minGain = minGain;
    }

    /**
     * Decides how to run one batch through a program: tries 2 to {@code maxMicroBatches} micro-batches on the
     * overlapped schedule and keeps the fastest prediction if it beats the sequential one by {@code minGain}.
     *
     * @param <S>      the program's state type
     * @param program  the stages of one forward
     * @param requests the batch
     * @return the advice, with its reason
     * @throws InvalidArgumentException if {@code requests} is empty
     */
    public <S> Advice advise(StageProgram<S> program, List<RequestShape> requests) {
        MicroBatchPlan whole = planner.plan(requests, 1);
        ScheduleSimulator.Prediction sequential = predict(Schedules.sequential(program, 1), whole, requests);
        Advice best = new Advice(whole, false, sequential, sequential, "");
        String why = "no split was predicted to help";
        for (int n = 2; n <= maxMicroBatches; n++) {
            MicroBatchPlan plan = planner.plan(requests, n);
            if (!plan.isSplit()) {
                why = plan.reason();
                continue;
            }
            ScheduleSimulator.Prediction p = predict(Schedules.overlapped(program, plan.size()), plan, requests);
            if (p.makespanNanos() < best.chosen().makespanNanos()) {
                best = new Advice(plan, true, sequential, p, "");
            }
        }
        if (best.overlap() && best.chosen().makespanNanos() > (1 - minGain) * sequential.makespanNanos()) {
            why = String.format(Locale.ROOT, "overlap predicted to gain only %.1f%% (< %.0f%%)",
                    100 * (1 - (double) best.chosen().makespanNanos() / sequential.makespanNanos()), 100 * minGain);
            best = new Advice(whole, false, sequential, sequential, "");
        }
        String reason = best.overlap()
                ? String.format(Locale.ROOT, "overlap %d micro-batches: predicted %.2f ms vs %.2f ms sequential (%.2fx); %s",
                best.plan().size(), best.chosen().makespanNanos() / 1e6, sequential.makespanNanos() / 1e6,
                best.predictedSpeedup(), best.plan().reason())
                : String.format(Locale.ROOT, "sequential (predicted %.2f ms): %s", sequential.makespanNanos() / 1e6, why);
        return new Advice(best.plan(), best.overlap(), sequential, best.chosen(), reason);
    }

    private <S> ScheduleSimulator.Prediction predict(Schedule<S> schedule, MicroBatchPlan plan,
                                                     List<RequestShape> requests) {
        return ScheduleSimulator.predict(schedule, step -> costs.estimateNanos(
                schedule.program().stage(step.stage()), plan.microBatches().get(step.microBatch()), requests));
    }
}
