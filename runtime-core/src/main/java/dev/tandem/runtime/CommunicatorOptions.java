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
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    public CommunicatorOptions {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidArgumentException("communicator timeout must be positive, got " + timeout);
        }
    }

    public static CommunicatorOptions defaults() {
        return new CommunicatorOptions(DEFAULT_TIMEOUT, null);
    }

    public CommunicatorOptions withTimeout(Duration newTimeout) {
        return new CommunicatorOptions(newTimeout, link);
    }

    public CommunicatorOptions withLink(LinkEmulation newLink) {
        return new CommunicatorOptions(timeout, newLink);
    }
}
