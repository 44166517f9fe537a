package dev.tandem.deepseek.model;

import dev.tandem.runtime.CollectiveAbortedException;

import java.util.List;

/** Picks the failure to report for a step that failed on several ranks. */
final class StepFailures {
    private StepFailures() {
    }

    /**
     * The failure that started it: the first one not caused by an aborted collective group (the peers of a failed
     * rank only report the abort), else the first.
     */
    static Throwable root(List<Throwable> failures) {
        for (Throwable t : failures) {
            if (!causedByAbort(t)) {
                return t;
            }
        }
        return failures.getFirst();
    }

    private static boolean causedByAbort(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CollectiveAbortedException) {
                return true;
            }
        }
        return false;
    }
}
