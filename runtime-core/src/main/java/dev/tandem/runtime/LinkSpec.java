package dev.tandem.runtime;

/** The one parser and check of "GBPS[:LATENCY_US]" link specifications, for both link types. */
final class LinkSpec {
    private LinkSpec() {
    }

    static void check(double bandwidthGBps, double latencyMicros) {
        if (!(bandwidthGBps > 0) || Double.isInfinite(bandwidthGBps)) {
            throw new InvalidArgumentException("link bandwidth must be a positive number of GB/s, got " + bandwidthGBps);
        }
        if (!(latencyMicros >= 0) || Double.isInfinite(latencyMicros)) {
            throw new InvalidArgumentException("link latency must be a non-negative number of microseconds, got "
                    + latencyMicros);
        }
    }

    /** {bandwidth GB/s, latency us}; throws {@link InvalidArgumentException} naming the expected form. */
    static double[] parse(String spec) {
        if (spec == null) {
            throw new InvalidArgumentException("a link needs GBPS or GBPS:LATENCY_US, got null");
        }
        String[] parts = spec.split(":", -1);
        try {
            if (parts.length > 2) {
                throw new NumberFormatException();
            }
            double gbps = Double.parseDouble(parts[0].trim());
            double micros = parts.length > 1 ? Double.parseDouble(parts[1].trim()) : 0;
            check(gbps, micros);
            return new double[] {gbps, micros};
        } catch (NumberFormatException | InvalidArgumentException e) {
            throw new InvalidArgumentException("a link needs GBPS or GBPS:LATENCY_US with a positive bandwidth, got '"
                    + spec + "'", e);
        }
    }

    static long nanos(double bandwidthGBps, double latencyMicros, long bytes) {
        return Math.round(latencyMicros * 1_000.0 + bytes / bandwidthGBps);
    }
}
