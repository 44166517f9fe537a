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
    public StreamOptions {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        if (name.isBlank()) {
            throw new IllegalArgumentException("stream name must not be blank");
        }
    }

    public static StreamOptions compute(String name) {
        return new StreamOptions(name, StreamRole.COMPUTE, 0);
    }

    public static StreamOptions comm(String name) {
        return new StreamOptions(name, StreamRole.COMM, 0);
    }

    public static StreamOptions copy(String name) {
        return new StreamOptions(name, StreamRole.COPY, 0);
    }

    public StreamOptions withPriority(int newPriority) {
        return new StreamOptions(name, role, newPriority);
    }
}
