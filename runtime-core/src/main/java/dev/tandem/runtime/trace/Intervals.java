package dev.tandem.runtime.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Unions and intersections of time intervals, in nanoseconds. */
final class Intervals {
    private Intervals() {
    }

    record Interval(long start, long end) {
        long length() {
            return end - start;
        }
    }

    /** The union of {@code intervals} as sorted, disjoint intervals. */
    static List<Interval> union(List<Interval> intervals) {
        List<Interval> sorted = new ArrayList<>(intervals);
        sorted.sort(Comparator.comparingLong(Interval::start));
        List<Interval> merged = new ArrayList<>();
        for (Interval i : sorted) {
            if (i.end() <= i.start()) {
                continue;
            }
            if (!merged.isEmpty() && merged.getLast().end() >= i.start()) {
                Interval last = merged.removeLast();
                merged.add(new Interval(last.start(), Math.max(last.end(), i.end())));
            } else {
                merged.add(i);
            }
        }
        return merged;
    }

    static long length(List<Interval> disjoint) {
        long total = 0;
        for (Interval i : disjoint) {
            total += i.length();
        }
        return total;
    }

    /** Total overlap of two sorted, disjoint interval lists. */
    static long intersection(List<Interval> a, List<Interval> b) {
        long total = 0;
        int i = 0;
        int j = 0;
        while (i < a.size() && j < b.size()) {
            long start = Math.max(a.get(i).start(), b.get(j).start());
            long end = Math.min(a.get(i).end(), b.get(j).end());
            if (end > start) {
                total += end - start;
            }
            if (a.get(i).end() < b.get(j).end()) {
                i++;
            } else {
                j++;
            }
        }
        return total;
    }

    /** Gaps inside [from, to] not covered by the sorted, disjoint {@code busy} list. */
    static List<Interval> gaps(List<Interval> busy, long from, long to) {
        List<Interval> gaps = new ArrayList<>();
        long cursor = from;
        for (Interval i : busy) {
            if (i.start() > cursor) {
                gaps.add(new Interval(cursor, Math.min(i.start(), to)));
            }
            cursor = Math.max(cursor, i.end());
        }
        if (cursor < to) {
            gaps.add(new Interval(cursor, to));
        }
        return gaps;
    }
}
