package dev.tandem.runtime;

import java.time.Duration;
import java.util.Objects;

/**
 * How to create a group of communicators.
 *
 * @param timeout how long a rank waits for the others at a rendezvous before failing its stream
 * @param link    an emulated link (host backend only), or null for none
 */
public record CommunicatorOptions(Duration timeout, LinkEmulation link) {
    /**
     * The rendezvous timeout of {@link #defaults()}: 60 seconds.
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Checks the timeout.
     *
     * @throws InvalidArgumentException if {@code timeout} is zero or negative
     */
    public CommunicatorOptions {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidArgumentException("communicator timeout must be positive, got " + timeout);
        }
    }

    /**
     * A 60 second timeout and no emulated link.
     *
     * @return the default options
     */
    public static CommunicatorOptions defaults() {
        return new CommunicatorOptions(DEFAULT_TIMEOUT, null);
    }

    /**
     * These options with another rendezvous timeout.
     *
     * @param newTimeout the timeout, positive
     * @return the copy
     */
    public CommunicatorOptions withTimeout(Duration newTimeout) {
        return new CommunicatorOptions(newTimeout, link);
    }

    /**
     * These options with another emulated link.
     *
     * @param newLink the link, or null for none
     * @return the copy
     */
    public CommunicatorOptions withLink(LinkEmulation newLink) {
        return new CommunicatorOptions(timeout, newLink);
    }
}
