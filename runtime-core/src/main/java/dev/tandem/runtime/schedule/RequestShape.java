package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;

/**
 * What the split planner needs to know of one request in a batch.
 *
 * @param newTokens    tokens this forward computes for the request (1 for a decode step)
 * @param cachedTokens tokens already in the request's KV cache (its context before this forward)
 */
public record RequestShape(int newTokens, int cachedTokens) {
    /**
     * Checks the counts.
     *
     * @throws InvalidArgumentException if {@code newTokens} is below 1 or {@code cachedTokens} is negative
     */
    public RequestShape {
        if (newTokens < 1) {
            throw new InvalidArgumentException("a request needs at least one new token, got " + newTokens);
        }
        if (cachedTokens < 0) {
            throw new InvalidArgumentException("cached tokens must not be negative, got " + cachedTokens);
        }
    }

    /**
     * Whether this is a decode step: one new token after a non-empty context.
     *
     * @return true for a decode step, false for a prefill
     */
    public boolean isDecode() {
        return newTokens == 1 && cachedTokens > 0;
    }
}
