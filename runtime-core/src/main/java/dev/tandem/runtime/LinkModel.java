package dev.tandem.runtime;

/**
 * An <b>emulated</b> interconnect for the host backend: each rank's transfer in a collective takes at least
 * {@code latency + bytes / bandwidth}, spent sleeping rather than computing. It exists to study overlap on a
 * CPU, where in-process copies are otherwise nearly free; it says nothing about a real link.
 *
 * @param bandwidthGBps per-rank bandwidth in GB/s (10^9 bytes per second); must be positive
 * @param latencyMicros fixed cost per collective in microseconds; not negative
 */
public record LinkModel(double bandwidthGBps, double latencyMicros) {
    public LinkModel {
        if (!(bandwidthGBps > 0) || Double.isInfinite(bandwidthGBps)) {
            throw new InvalidArgumentException("link bandwidth must be a positive number of GB/s, got " + bandwidthGBps);
        }
        if (!(latencyMicros >= 0) || Double.isInfinite(latencyMicros)) {
            throw new InvalidArgumentException("link latency must be a non-negative number of microseconds, got " + latencyMicros);
        }
    }

    /** Nanoseconds one transfer of {@code bytes} bytes takes on this link. */
    public long transferNanos(long bytes) {
        return Math.round(latencyMicros * 1_000.0 + bytes / bandwidthGBps);
    }
}
