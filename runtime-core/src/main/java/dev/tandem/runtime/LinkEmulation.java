package dev.tandem.runtime;

/**
 * A setting of the host backend: an <b>emulated</b> interconnect, where each rank's transfer in a collective
 * takes at least {@code latency + bytes / bandwidth}, spent sleeping rather than computing. It exists to study
 * overlap on a CPU, where in-process copies are otherwise nearly free; it says nothing about a real link (cost
 * models take an {@link InterconnectEstimate} for that).
 *
 * @param bandwidthGBps per-rank bandwidth in GB/s (10^9 bytes per second); must be positive
 * @param latencyMicros fixed cost per collective in microseconds; not negative
 */
public record LinkEmulation(double bandwidthGBps, double latencyMicros) {
    /**
     * Checks the figures.
     *
     * @throws InvalidArgumentException if the bandwidth is not positive or the latency is negative
     */
    public LinkEmulation {
        LinkSpec.check(bandwidthGBps, latencyMicros);
    }

    /**
     * Parses {@code GBPS} or {@code GBPS:LATENCY_US} (for example {@code 25:20}).
     *
     * @param spec the text, bandwidth in GB/s and optionally latency in microseconds
     * @return the link
     */
    public static LinkEmulation parse(String spec) {
        double[] v = LinkSpec.parse(spec);
        return new LinkEmulation(v[0], v[1]);
    }

    /**
     * Nanoseconds one transfer of {@code bytes} bytes takes on this link.
     *
     * @param bytes bytes transferred
     * @return {@code latency + bytes / bandwidth}, in nanoseconds
     */
    public long transferNanos(long bytes) {
        return LinkSpec.nanos(bandwidthGBps, latencyMicros, bytes);
    }
}
