package dev.tandem.deepseek.serving;

import dev.tandem.runtime.schedule.RequestShape;

import java.util.List;

/**
 * Decides an engine step's schedule under {@link ScheduleChoice#auto} in place of the engine's analytic default:
 * sequential, or overlapped over how many micro-batches. The engine asks once per {@code auto} step with the step's
 * batch and the choice's maximum, then splits the batch with its own micro-batch planner; a split the planner cannot
 * make runs sequentially, saying why, and a count above the maximum is cut to it.
 *
 * <p>Without one ({@link DeepSeekEngine.Builder#scheduleAdvisor} not set) the engine decides with
 * {@code OverlapAdvisor} over {@code DeepSeekStageCosts}' analytic per-stage estimates of its own stage program.
 * {@code dev.tandem.deepseek.plan.PlannedScheduleAdvisor} decides from the capacity planner's simulation of the step
 * on a deployment instead. Implementations are called from engine scheduler threads, possibly of several engines at
 * once, and must be thread-safe.
 */
public interface StepScheduleAdvisor {
    /**
     * One decision.
     *
     * @param microBatches micro-batches to run overlapped, or 1 to run sequentially
     * @param reason       why, for the step's {@link ForwardResult#decision()} and logs
     */
    record Advice(int microBatches, String reason) {
        /**
         * Checks the count.
         *
         * @throws IllegalArgumentException if {@code microBatches < 1} or {@code reason} is null
         */
        public Advice {
            if (microBatches < 1) {
                throw new IllegalArgumentException("advised micro-batches must be at least 1, got " + microBatches);
            }
            if (reason == null) {
                throw new IllegalArgumentException("advice needs a reason");
            }
        }

        /**
         * Whether the advice is to overlap.
         *
         * @return true when more than one micro-batch is advised
         */
        public boolean overlap() {
            return microBatches > 1;
        }
    }

    /**
     * Advises on one step.
     *
     * @param batch           the step's requests in order: new tokens and cached tokens of each
     * @param maxMicroBatches the most micro-batches the step may use ({@code ScheduleChoice.auto(max)}), at least 1
     * @return the decision; its micro-batch count is at most {@code maxMicroBatches}
     */
    Advice advise(List<RequestShape> batch, int maxMicroBatches);
}
