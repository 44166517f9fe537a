package dev.tandem.deepseek.serving;

import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.trace.OverlapReport;

/**
 * What one forward produced.
 *
 * @param hidden     output hidden states {@code [tokens, hidden_size]}, row-major, in request order
 * @param plan       how the batch was split
 * @param overlapped whether micro-batches were overlapped
 * @param decision   why this schedule was used (the advisor's reason for AUTO)
 * @param wallNanos  wall time of the forward
 * @param report     overlap measurements from the trace; never null (empty, saying so, when the engine does not trace)
 */
public record ForwardResult(float[] hidden, MicroBatchPlan plan, boolean overlapped, String decision, long wallNanos,
                            OverlapReport report) {
}
