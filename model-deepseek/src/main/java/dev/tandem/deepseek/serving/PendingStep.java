package dev.tandem.deepseek.serving;

import java.util.concurrent.CompletableFuture;

/** A submitted step waiting in (or partly through) the scheduler: its tokens run in one or more engine steps. */
final class PendingStep {
    final long id;
    final float[] hidden;
    final int[] positions;
    final long submittedNanos;
    final long deadlineNanos;
    final CompletableFuture<StepResult> future = new CompletableFuture<>();
    final float[] out;
    int done;
    int engineSteps;
    long startedNanos;

    PendingStep(long id, float[] hidden, int[] positions, long submittedNanos, long deadlineNanos) {
        this.id = id;
        this.hidden = hidden;
        this.positions = positions;
        this.submittedNanos = submittedNanos;
        this.deadlineNanos = deadlineNanos;
        this.out = new float[hidden.length];
    }

    int tokens() {
        return positions.length;
    }

    int remaining() {
        return positions.length - done;
    }

    boolean expired(long now) {
        return deadlineNanos != Long.MAX_VALUE && now - deadlineNanos > 0;
    }
}
