package dev.tandem.runtime.trace;

import java.util.List;
import java.util.Locale;

/**
 * Overlap of one traced run across all its devices: the per-device {@link OverlapMetrics} and their aggregate
 * (communication hidden is summed over devices; compute, communication and ideal times are device means).
 *
 * @param devices the overlap of each traced device, one entry per device
 */
public record OverlapReport(List<OverlapMetrics> devices) {

    /** Copies {@code devices} into an unmodifiable list. */
    public OverlapReport {
        devices = List.copyOf(devices);
    }

    /**
     * The report of an untraced run: no devices; {@link #describe()} says tracing was off.
     *
     * @return a report with no devices
     */
    public static OverlapReport empty() {
        return new OverlapReport(List.of());
    }

    /**
     * Measures the overlap of the given spans, grouped by device.
     *
     * @param spans the spans of one traced run, from any number of devices
     * @return the report with one {@link OverlapMetrics} per device that has spans
     */
    public static OverlapReport of(List<TraceSpan> spans) {
        return new OverlapReport(List.copyOf(OverlapMetrics.perDevice(spans).values()));
    }

    /**
     * The slowest device's wall time.
     *
     * @return the largest device wall time in nanoseconds, 0 with no devices
     */
    public long wallNanos() {
        return devices.stream().mapToLong(OverlapMetrics::wallNanos).max().orElse(0);
    }

    /**
     * Mean compute-busy time per device.
     *
     * @return nanoseconds, 0 with no devices
     */
    public double meanComputeNanos() {
        return devices.stream().mapToLong(OverlapMetrics::computeNanos).average().orElse(0);
    }

    /**
     * Mean communication-busy time per device.
     *
     * @return nanoseconds, 0 with no devices
     */
    public double meanCommNanos() {
        return devices.stream().mapToLong(OverlapMetrics::commNanos).average().orElse(0);
    }

    /**
     * Mean communication time per device not hidden under compute.
     *
     * @return nanoseconds, 0 with no devices
     */
    public double meanExposedCommNanos() {
        return devices.stream().mapToLong(OverlapMetrics::exposedCommNanos).average().orElse(0);
    }

    /**
     * Mean compute idle time (bubbles) per device.
     *
     * @return nanoseconds, 0 with no devices
     */
    public double meanBubbleNanos() {
        return devices.stream().mapToLong(OverlapMetrics::bubbleNanos).average().orElse(0);
    }

    /**
     * Communication hidden under compute, over all devices, in percent.
     *
     * @return 0 to 100; 100 when there was no communication
     */
    public double hiddenPercent() {
        long comm = devices.stream().mapToLong(OverlapMetrics::commNanos).sum();
        long hidden = devices.stream().mapToLong(OverlapMetrics::hiddenCommNanos).sum();
        return comm == 0 ? 100.0 : 100.0 * hidden / comm;
    }

    /**
     * Mean max(C, M): the best time perfect overlap could reach.
     *
     * @return nanoseconds, 0 with no devices
     */
    public double meanIdealNanos() {
        return devices.stream().mapToLong(OverlapMetrics::idealNanos).average().orElse(0);
    }

    /**
     * (C + M) / max(C, M) with device-mean C and M: the speedup perfect overlap would give over none.
     *
     * @return a factor from 1 to 2; 1 with no work
     */
    public double idealSpeedup() {
        double c = meanComputeNanos();
        double m = meanCommNanos();
        double max = Math.max(c, m);
        return max == 0 ? 1.0 : (c + m) / max;
    }

    /**
     * One line per device, for logs and CLIs.
     *
     * @return the description, each line ending in the platform line separator
     */
    public String describe() {
        if (devices.isEmpty()) {
            return String.format("no overlap measurements: tracing was off%n");
        }
        StringBuilder sb = new StringBuilder();
        for (OverlapMetrics m : devices) {
            sb.append(String.format(Locale.ROOT,
                    "device %d: wall %.1f ms, compute %.1f ms, comm %.1f ms, hidden %.0f%%, exposed %.1f ms, "
                            + "compute idle %.1f ms in %d bubble(s), ideal max(C,M) %.1f ms%n",
                    m.device(), m.wallNanos() / 1e6, m.computeNanos() / 1e6, m.commNanos() / 1e6, m.hiddenPercent(),
                    m.exposedCommNanos() / 1e6, m.bubbleNanos() / 1e6, m.bubbles(), m.idealNanos() / 1e6));
        }
        return sb.toString();
    }
}
