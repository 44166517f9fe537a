package dev.tandem.deepseek.serving;

/**
 * What one engine step ran, for {@link EngineListener}s.
 *
 * @param sequences      requests in the step
 * @param prefillTokens  tokens of steps with more than one token (prefill chunks)
 * @param decodeTokens   tokens of single-token steps
 * @param microBatches   micro-batches of the plan
 * @param overlapped     whether the step ran overlapped
 * @param decision       why that schedule
 * @param wallNanos      wall time of the step
 * @param hiddenPercent  communication hidden behind compute, or NaN when tracing is off
 * @param queueDepth     steps still waiting when this one finished
 * @param failed         whether the step failed (its requests were then retried alone)
 */
public record StepMetrics(int sequences, int prefillTokens, int decodeTokens, int microBatches, boolean overlapped,
                          String decision, long wallNanos, double hiddenPercent, int queueDepth, boolean failed) {
    /** {@return prefill plus decode tokens} */
    public int tokens() {
        return prefillTokens + decodeTokens;
    }
}
