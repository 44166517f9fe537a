package dev.tandem.runtime.trace;

import dev.tandem.runtime.StreamRole;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * How well communication hid under computation on one device, measured from its trace spans.
 *
 * @param device          device id
 * @param wallNanos       first start to last end of the device's work
 * @param computeNanos    C: time the device computed (union of its compute spans, waits and collectives excluded)
 * @param commNanos       M: time the device communicated (communication streams and collectives anywhere)
 * @param hiddenCommNanos communication time during which compute was also busy
 * @param bubbleNanos     time inside the wall during which the device computed nothing
 * @param bubbles         number of such idle gaps longer than the bubble threshold
 */
public record OverlapMetrics(int device, long wallNanos, long computeNanos, long commNanos, long hiddenCommNanos,
                             long bubbleNanos, int bubbles) {

    /** Idle gaps shorter than this are scheduling noise, not bubbles. */
    public static final long BUBBLE_THRESHOLD_NANOS = 50_000;

    /**
     * Communication not hidden under compute.
     *
     * @return nanoseconds of communication time with no compute running
     */
    public long exposedCommNanos() {
        return commNanos - hiddenCommNanos;
    }

    /**
     * Percentage of communication time hidden under compute (100 when there was none).
     *
     * @return 0 to 100
     */
    public double hiddenPercent() {
        return commNanos == 0 ? 100.0 : 100.0 * hiddenCommNanos / commNanos;
    }

    /**
     * max(C, M): the best a perfect overlap of this work could achieve.
     *
     * @return nanoseconds
     */
    public long idealNanos() {
        return Math.max(computeNanos, commNanos);
    }

    /**
     * (C + M) / max(C, M): the speed-up of perfect overlap over running C and M back to back.
     *
     * @return a factor from 1 to 2; 1 when there was no work
     */
    public double idealSpeedup() {
        return idealNanos() == 0 ? 1.0 : (double) (computeNanos + commNanos) / idealNanos();
    }

    /**
     * Metrics of each device in {@code spans}, keyed by device id.
     *
     * @param spans spans of any number of devices
     * @return a map sorted by device id, with an entry only for devices that have spans
     */
    public static Map<Integer, OverlapMetrics> perDevice(List<TraceSpan> spans) {
        Map<Integer, List<TraceSpan>> byDevice = new TreeMap<>();
        for (TraceSpan s : spans) {
            byDevice.computeIfAbsent(s.device(), d -> new ArrayList<>()).add(s);
        }
        Map<Integer, OverlapMetrics> result = new TreeMap<>();
        byDevice.forEach((d, list) -> result.put(d, of(d, list)));
        return result;
    }

    /**
     * Metrics of one device's spans; see {@link #isCommunication(TraceSpan)} for what counts as M. Wait spans are
     *
     * ignored; compute gaps of at least {@link #BUBBLE_THRESHOLD_NANOS} count as bubbles.
     * 
     * @param device the device id the metrics are reported under
     * @param spans that device's spans
     * @return the metrics, all zero when no span is work
     */
    public static OverlapMetrics of(int device, List<TraceSpan> spans) {
        List<TraceSpan> work = spans.stream().filter(Predicate.not(TraceSpan::isWait)).toList();
        if (work.isEmpty()) {
            return new OverlapMetrics(device, 0, 0, 0, 0, 0, 0);
        }
        long from = work.stream().mapToLong(TraceSpan::startNanos).min().orElseThrow();
        long to = work.stream().mapToLong(TraceSpan::endNanos).max().orElseThrow();
        List<Intervals.Interval> compute = Intervals.union(work.stream().filter(s -> !isCommunication(s))
                .map(s -> new Intervals.Interval(s.startNanos(), s.endNanos())).toList());
        List<Intervals.Interval> comm = Intervals.union(work.stream().filter(OverlapMetrics::isCommunication)
                .map(s -> new Intervals.Interval(s.startNanos(), s.endNanos())).toList());
        long c = Intervals.length(compute);
        long m = Intervals.length(comm);
        long hidden = Intervals.intersection(compute, comm);
        List<Intervals.Interval> gaps = Intervals.gaps(compute, from, to);
        long bubbleTime = 0;
        int bubbleCount = 0;
        for (Intervals.Interval g : gaps) {
            if (g.length() >= BUBBLE_THRESHOLD_NANOS) {
                bubbleTime += g.length();
                bubbleCount++;
            }
        }
        return new OverlapMetrics(device, to - from, c, m, hidden, bubbleTime, bubbleCount);
    }

    private static final Set<String> COLLECTIVES = Set.of("allReduce", "allGather",
            "reduceScatter", "allToAll", "allToAllV", "broadcast", "barrier");

    /**
     * Communication is everything on a COMM or COPY stream, plus collectives wherever they run (a sequential
     * schedule issues them on the compute stream, and they are still communication time M).
     *
     * @param span the span to classify
     * @return true if the span counts as communication time M
     */
    public static boolean isCommunication(TraceSpan span) {
        if (span.role() != StreamRole.COMPUTE) {
            return true;
        }
        String name = span.name();
        int paren = name.indexOf('(');
        String op = paren >= 0 ? name.substring(0, paren) : name;
        return COLLECTIVES.contains(op) || op.equals("send") || op.equals("recv");
    }
}
