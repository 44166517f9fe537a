package dev.tandem.runtime;

/**
 * What a cost model assumes of a real interconnect (a planning input, never emulated): a transfer of
 * {@code bytes} bytes takes {@code latency + bytes / bandwidth}.
 *
 * @param bandwidthGBps per-rank bandwidth in GB/s (10^9 bytes per second); must be positive
 * @param latencyMicros fixed cost per transfer in microseconds; not negative
 */
public record InterconnectEstimate(double bandwidthGBps, double latencyMicros) {
    /**
     * Checks the figures.
     *
     * @throws InvalidArgumentException if the bandwidth is not positive or the latency is negative
     */
    public InterconnectEstimate {
        LinkSpec.check(bandwidthGBps, latencyMicros);
    }

    /**
     * Parses {@code GBPS} or {@code GBPS:LATENCY_US} (for example {@code 25:20}).
     *
     * @param spec the text, bandwidth in GB/s and optionally latency in microseconds
     * @return the estimate
     */
    public static InterconnectEstimate parse(String spec) {
        double[] v = LinkSpec.parse(spec);
        return new InterconnectEstimate(v[0], v[1]);
    }

    /**
     * The estimate that matches an emulated link: what the host backend will actually make transfers cost.
     *
     * @param link the emulated link
     * @return an estimate with the link's bandwidth and latency
     */
    public static InterconnectEstimate of(LinkEmulation link) {
        return new InterconnectEstimate(link.bandwidthGBps(), link.latencyMicros());
    }

    /**
     * Estimated nanoseconds for one transfer of {@code bytes} bytes.
     *
     * @param bytes bytes transferred
     * @return {@code latency + bytes / bandwidth}, in nanoseconds
     */
    public long transferNanos(long bytes) {
        return LinkSpec.nanos(bandwidthGBps, latencyMicros, bytes);
    }
}
