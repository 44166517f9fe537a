package dev.tandem.deepseek.serving;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A ready-made {@link EngineListener} that aggregates what a serving dashboard shows: queue depth, tokens/s, time
 * to first output, and step time percentiles over the last {@code window} steps. Register it with
 * {@code DeepSeekEngine.builder().listener(metrics)}; read {@link #snapshot()} from any thread.
 */
public final class EngineMetrics implements EngineListener {
    private final long[] stepNanos;
    private final long started = System.nanoTime();
    private final Set<Long> seen = new HashSet<>();
    private long steps;
    private long failedSteps;
    private long tokens;
    private long completed;
    private long failed;
    private int queueDepth;
    private int maxQueueDepth;
    private long firstOutputs;
    private double firstOutputMillisSum;

    /**
     * What the engine has done so far. Times in milliseconds; percentiles over the recent window of steps.
     *
     * @param steps                       steps that succeeded
     * @param failedSteps                 steps that failed
     * @param tokens                      tokens of the succeeded steps
     * @param tokensPerSecond             tokens per second since the metrics were created
     * @param completedSteps              submitted request steps that completed
     * @param failedRequests              submitted request steps that failed, were cancelled or missed their deadline
     * @param queueDepth                  steps waiting after the last step
     * @param maxQueueDepth               the largest queue depth seen
     * @param meanTimeToFirstOutputMillis mean latency of requests' first outputs, or NaN before any
     * @param stepP50Millis               median step time, or NaN before any step
     * @param stepP90Millis               90th percentile step time, or NaN before any step
     * @param stepP99Millis               99th percentile step time, or NaN before any step
     */
    public record Snapshot(long steps, long failedSteps, long tokens, double tokensPerSecond, long completedSteps,
                           long failedRequests, int queueDepth, int maxQueueDepth, double meanTimeToFirstOutputMillis,
                           double stepP50Millis, double stepP90Millis, double stepP99Millis) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "steps %d (%d failed), %d tokens, %.1f tok/s, %d outputs, %d failed requests, "
                            + "queue %d (max %d), mean TTFT %.2f ms, step p50/p90/p99 %.2f/%.2f/%.2f ms", steps, failedSteps,
                    tokens, tokensPerSecond, completedSteps, failedRequests, queueDepth, maxQueueDepth,
                    meanTimeToFirstOutputMillis, stepP50Millis, stepP90Millis, stepP99Millis);
        }
    }

    /** Metrics with percentiles over the last 1024 steps. */
    public EngineMetrics() {
        this(1024);
    }

    /**
     * Metrics with percentiles over the last {@code window} steps.
     *
     * @param window the number of recent steps, at least 1
     * @throws IllegalArgumentException if {@code window < 1}
     */
    public EngineMetrics(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1 step, got " + window);
        }
        this.stepNanos = new long[window];
    }

    @Override
    public synchronized void onStep(StepMetrics step) {
        if (step.failed()) {
            failedSteps++;
            return;
        }
        stepNanos[(int) (steps % stepNanos.length)] = step.wallNanos();
        steps++;
        tokens += step.tokens();
        queueDepth = step.queueDepth();
        maxQueueDepth = Math.max(maxQueueDepth, queueDepth);
    }

    @Override
    public synchronized void onStepCompleted(StepResult result) {
        completed++;
        if (result.firstPosition() == 0 && seen.add(result.requestId())) {
            firstOutputs++;
            firstOutputMillisSum += result.latencyNanos() / 1e6;
        }
        if (seen.size() > 65_536) {
            seen.clear();   // only new requests (position 0) count; the set just guards against double counting
        }
    }

    @Override
    public synchronized void onStepFailed(long requestId, Throwable cause) {
        failed++;
    }

    /** {@return the metrics so far} */
    public synchronized Snapshot snapshot() {
        int n = (int) Math.min(steps, stepNanos.length);
        long[] recent = Arrays.copyOf(stepNanos, n);
        Arrays.sort(recent);
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Snapshot(steps, failedSteps, tokens, seconds > 0 ? tokens / seconds : 0, completed, failed, queueDepth,
                maxQueueDepth, firstOutputs == 0 ? Double.NaN : firstOutputMillisSum / firstOutputs,
                percentile(recent, 50), percentile(recent, 90), percentile(recent, 99));
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }
}
