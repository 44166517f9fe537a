package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.config.DeepSeekConfig;

/** Checks on a submitted step that need no engine state: shape, position order and range, finite values. */
final class StepValidation {
    private StepValidation() {
    }

    static void check(DeepSeekConfig config, long id, float[] hidden, int[] positions, boolean checkFinite) {
        if (hidden == null || positions == null) {
            throw new InvalidRequestException(id, "hidden and positions are required");
        }
        int n = positions.length;
        if (n == 0) {
            throw new InvalidRequestException(id, "a step needs at least one token");
        }
        int d = config.hiddenSize();
        if ((long) n * d != hidden.length) {
            throw new InvalidRequestException(id, "hidden has " + hidden.length + " values, expected " + n + " tokens x "
                    + d + " (hidden_size) = " + (long) n * d);
        }
        for (int i = 0; i < n; i++) {
            int p = positions[i];
            if (p < 0) {
                throw new InvalidRequestException(id, "position " + p + " at token " + i + " is negative");
            }
            if (i > 0 && p != positions[i - 1] + 1) {
                throw new InvalidRequestException(id, "positions must be consecutive, but token " + i + " has position "
                        + p + " after " + positions[i - 1]);
            }
        }
        if (positions[n - 1] >= config.maxPositionEmbeddings()) {
            throw new InvalidRequestException(id, "position " + positions[n - 1] + " is beyond the model's "
                    + "max_position_embeddings (" + config.maxPositionEmbeddings() + ")");
        }
        if (checkFinite) {
            for (int i = 0; i < hidden.length; i++) {
                if (!Float.isFinite(hidden[i])) {
                    throw new InvalidRequestException(id, "hidden[" + i / d + "][" + i % d + "] is " + hidden[i]
                            + " (token " + i / d + ", position " + positions[i / d] + ")");
                }
            }
        }
    }

    /** The first position of a step must continue what the request has cached and queued. */
    static void checkContinues(long id, int first, int expected, boolean known) {
        if (first == expected) {
            return;
        }
        if (!known) {
            throw new InvalidRequestException(id, "unknown request id: a new request starts at position 0, got " + first);
        }
        throw new InvalidRequestException(id, "the next step must start at position " + expected
                + " (cached and queued tokens), got " + first
                + (first == 0 ? "; release the request before reusing its id" : ""));
    }
}
