package dev.tandem.runtime.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A device's allocated bytes over virtual time, for its peak. An allocation counts from the host's virtual time when
 * it is issued, a free from the virtual time it takes effect (a stream-ordered release when its streams reach it).
 * Events arrive in real-time order, which is not virtual-time order once kernels are deferred ({@link Contention}):
 * the host then issues further allocations before earlier frees resolve, and counting in arrival order would add
 * them up. So the peak is taken over the events sorted by virtual time (at equal times frees first: the memory is
 * free for the allocation). Events before the device's floor, before which no later event can fall, are folded into
 * a running total. Guarded by the runtime lock.
 */
final class MemoryTimeline {
    /** Pending events beyond which those before the floor are folded. */
    private static final int FOLD_AT = 4096;
    private static final Comparator<long[]> ORDER = Comparator.<long[]>comparingLong(e -> e[0])
            .thenComparingLong(e -> e[1]);

    private final List<long[]> pending = new ArrayList<>();   // {virtual time, bytes (+ allocated, - freed)}
    private long used;
    private long peak;
    /** Pending events at which the next fold is tried: twice what the last one left, so folds stay amortised. */
    private int foldAt = FOLD_AT;

    /** {@code bytes} allocated (positive) or freed (negative) at virtual {@code time}; folds before {@code floor}. */
    void add(long time, long bytes, long floor) {
        pending.add(new long[] {time, bytes});
        if (pending.size() > foldAt) {
            fold(floor);
            // many events at the floor itself (a step's buffers all freed at one host time) cannot fold yet:
            // sorting them again on every later event would cost quadratic time
            foldAt = Math.max(FOLD_AT, 2 * pending.size());
        }
    }

    /** The peak of allocated bytes since the last reset. */
    long peak() {
        long p = peak;
        long u = used;
        List<long[]> sorted = new ArrayList<>(pending);
        sorted.sort(ORDER);
        for (long[] e : sorted) {
            u += e[1];
            p = Math.max(p, u);
        }
        return p;
    }

    /** Restarts the peak at the bytes allocated after every known event (the device has caught up with its host). */
    void reset() {
        fold(Long.MAX_VALUE);
        peak = used;
    }

    private void fold(long floor) {
        pending.sort(ORDER);
        int n = 0;
        while (n < pending.size() && pending.get(n)[0] < floor) {
            used += pending.get(n)[1];
            peak = Math.max(peak, used);
            n++;
        }
        pending.subList(0, n).clear();
    }
}
