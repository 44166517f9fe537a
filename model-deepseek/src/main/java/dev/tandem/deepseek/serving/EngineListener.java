package dev.tandem.deepseek.serving;

/**
 * Metrics hooks for serving stacks (Prometheus, Micrometer, logs) without a dependency: called on the engine's
 * scheduler thread, so implementations must be quick and must not call back into the engine's blocking methods.
 */
public interface EngineListener {
    /**
     * After every engine step.
     *
     * @param step what the step ran
     */
    default void onStep(StepMetrics step) {
    }

    /**
     * When a submitted step of a request completes (time to first output is the first such call's latency).
     *
     * @param result the step's output
     */
    default void onStepCompleted(StepResult result) {
    }

    /**
     * When a submitted step fails, is cancelled or misses its deadline.
     *
     * @param requestId the request
     * @param cause     the failure, cancellation or deadline exception
     */
    default void onStepFailed(long requestId, Throwable cause) {
    }
}
