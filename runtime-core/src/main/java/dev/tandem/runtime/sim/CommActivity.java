package dev.tandem.runtime.sim;

import java.util.Map;
import java.util.TreeMap;

/**
 * The virtual intervals during which communication ran on one device (the union of its collectives' and transfers'
 * [arrival, end] on all its streams), and the extra time compute got from them. Guarded by the runtime lock.
 */
final class CommActivity {
    /** Disjoint, non-adjacent intervals: start to end. */
    private final TreeMap<Long, Long> intervals = new TreeMap<>();
    private long stretch;
    private long latestEnd = Long.MIN_VALUE;

    /** Adds [start, end) to the union. */
    void add(long start, long end) {
        if (end <= start) {
            return;
        }
        latestEnd = Math.max(latestEnd, end);
        Map.Entry<Long, Long> before = intervals.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        Map.Entry<Long, Long> next = intervals.ceilingEntry(start);
        while (next != null && next.getKey() <= end) {
            end = Math.max(end, next.getValue());
            intervals.remove(next.getKey());
            next = intervals.higherEntry(start);
        }
        intervals.put(start, end);
    }

    /** Forgets intervals that end at or before {@code time} (no kernel can start before it any more). */
    void forgetBefore(long time) {
        while (!intervals.isEmpty() && intervals.firstEntry().getValue() <= time) {
            intervals.pollFirstEntry();
        }
    }

    /**
     * The end of work {@code cost} nanoseconds long starting at {@code start}, progressing at rate 1 without
     * communication and {@code 1 / slow} while communication runs: known intervals, and from {@code openFrom}
     * on (collectives that started but whose end is not known yet) all the time.
     */
    long end(long start, double cost, double slow, long openFrom) {
        double work = cost;
        double t = start;
        Map.Entry<Long, Long> iv = latestEnd <= start ? null : intervals.floorEntry(start);
        if (iv != null && iv.getValue() <= start) {
            iv = intervals.higherEntry(start);
        } else if (iv == null && latestEnd > start) {
            iv = intervals.higherEntry(start);
        }
        for (; iv != null; iv = intervals.higherEntry(iv.getKey())) {
            long a = iv.getKey();
            if (a >= openFrom) {
                break;
            }
            if (a > t) {
                if (t + work <= a) {
                    return Math.round(t + work);
                }
                work -= a - t;
                t = a;
            }
            long b = Math.min(iv.getValue(), openFrom);
            if (b > t) {
                double capacity = (b - t) / slow;
                if (work <= capacity) {
                    return Math.round(t + work * slow);
                }
                work -= capacity;
                t = b;
            }
        }
        if (openFrom != Long.MAX_VALUE) {
            if (t < openFrom) {
                if (t + work <= openFrom) {
                    return Math.round(t + work);
                }
                work -= openFrom - t;
                t = openFrom;
            }
            return Math.round(t + work * slow);
        }
        return Math.round(t + work);
    }

    void stretched(long nanos) {
        stretch += nanos;
    }

    long stretch() {
        return stretch;
    }

    int size() {
        return intervals.size();
    }
}
