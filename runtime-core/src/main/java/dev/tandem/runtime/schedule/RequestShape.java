package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;

/**
 * What the split planner needs to know of one request in a batch.
 *
 * @param newTokens    tokens this forward computes for the request (1 for a decode step)
 * @param cachedTokens tokens already in the request's KV cache (its context before this forward)
 */
public record RequestShape(int newTokens, int cachedTokens) {
    public RequestShape {
        if (newTokens < 1) {
            throw new InvalidArgumentException("a request needs at least one new token, got " + newTokens);
        }
        if (cachedTokens < 0) {
            throw new InvalidArgumentException("cached tokens must not be negative, got " + cachedTokens);
        }
    }

    public boolean isDecode() {
        return newTokens == 1 && cachedTokens > 0;
    }
}
