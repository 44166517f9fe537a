package dev.tandem.deepseek.serving;

import java.util.List;

/** Reports engine steps and request outcomes to JFR and the {@link EngineListener}s. */
final class StepReporter {
    private final List<EngineListener> listeners;

    StepReporter(List<EngineListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** Reports one engine step to JFR and the listeners. */
    void step(int sequences, int prefill, int decode, ForwardResult r, boolean failed, StepEvent event, int queueDepth) {
        double hidden = r == null || r.report().devices().isEmpty() ? Double.NaN : r.report().hiddenPercent();
        long wall = r == null ? System.nanoTime() - event.startNanos : r.wallNanos();
        StepMetrics m = new StepMetrics(sequences, prefill, decode, r == null ? 0 : r.plan().size(),
                r != null && r.overlapped(), r == null ? "failed" : r.decision(), wall, hidden,
                queueDepth, failed);
        event.end();
        if (event.shouldCommit()) {
            event.sequences = m.sequences();
            event.prefillTokens = prefill;
            event.decodeTokens = decode;
            event.microBatches = m.microBatches();
            event.overlapped = m.overlapped();
            event.decision = m.decision();
            event.hidden = Double.isNaN(hidden) ? 0 : hidden / 100;
            event.failed = failed;
            event.commit();
        }
        for (EngineListener l : listeners) {
            l.onStep(m);
        }
    }

    void completed(StepResult result) {
        for (EngineListener l : listeners) {
            l.onStepCompleted(result);
        }
    }

    void failed(long id, Throwable cause) {
        for (EngineListener l : listeners) {
            l.onStepFailed(id, cause);
        }
    }
}
