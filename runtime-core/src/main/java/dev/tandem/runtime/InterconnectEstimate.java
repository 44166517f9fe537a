package dev.tandem.runtime;

/**
 * What a cost model assumes of a real interconnect (a planning input, never emulated): a transfer of
 * {@code bytes} bytes takes {@code latency + bytes / bandwidth}.
 *
 * @param bandwidthGBps per-rank bandwidth in GB/s (10^9 bytes per second); must be positive
 * @param latencyMicros fixed cost per transfer in microseconds; not negative
 */
public record InterconnectEstimate(double bandwidthGBps, double latencyMicros) {
    public InterconnectEstimate {
        LinkSpec.check(bandwidthGBps, latencyMicros);
    }

    /** Parses {@code GBPS} or {@code GBPS:LATENCY_US} (for example {@code 25:20}). */
    public static InterconnectEstimate parse(String spec) {
        double[] v = LinkSpec.parse(spec);
        return new InterconnectEstimate(v[0], v[1]);
    }

    /** The estimate that matches an emulated link: what the host backend will actually make transfers cost. */
    public static InterconnectEstimate of(LinkEmulation link) {
        return new InterconnectEstimate(link.bandwidthGBps(), link.latencyMicros());
    }

    /** Estimated nanoseconds for one transfer of {@code bytes} bytes. */
    public long transferNanos(long bytes) {
        return LinkSpec.nanos(bandwidthGBps, latencyMicros, bytes);
    }
}
