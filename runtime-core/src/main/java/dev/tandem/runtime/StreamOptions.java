package dev.tandem.runtime;

import java.util.Objects;

/**
 * How to create a {@link Stream}.
 *
 * @param name     label for traces and error messages
 * @param role     what the stream is for
 * @param priority larger runs first where the backend supports priorities; 0 is normal
 */
public record StreamOptions(String name, StreamRole role, int priority) {
    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public StreamOptions {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        if (name.isBlank()) {
            throw new IllegalArgumentException("stream name must not be blank");
        }
    }

    /**
     * A compute stream of normal priority.
     *
     * @param name label for traces and error messages
     * @return the options
     */
    public static StreamOptions compute(String name) {
        return new StreamOptions(name, StreamRole.COMPUTE, 0);
    }

    /**
     * A communication stream of normal priority.
     *
     * @param name label for traces and error messages
     * @return the options
     */
    public static StreamOptions comm(String name) {
        return new StreamOptions(name, StreamRole.COMM, 0);
    }

    /**
     * A copy stream of normal priority.
     *
     * @param name label for traces and error messages
     * @return the options
     */
    public static StreamOptions copy(String name) {
        return new StreamOptions(name, StreamRole.COPY, 0);
    }

    /**
     * These options with another priority.
     *
     * @param newPriority larger runs first where supported; 0 is normal
     * @return the copy
     */
    public StreamOptions withPriority(int newPriority) {
        return new StreamOptions(name, role, newPriority);
    }
}
