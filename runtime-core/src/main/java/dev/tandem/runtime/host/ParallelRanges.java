package dev.tandem.runtime.host;

/**
 * Splits independent items (rows, tiles, columns) into contiguous ranges over the launcher's compute threads.
 * Each item must be computed the same way whichever range it lands in, so results never depend on the split.
 */
final class ParallelRanges {
    /** Below this much work (roughly element-operations) per range, extra threads cost more than they save. */
    private static final long MIN_WORK_PER_RANGE = 1 << 15;

    private ParallelRanges() {
    }

    @FunctionalInterface
    interface RangeBody {
        void run(long from, long to);
    }

    /** Runs {@code body} over {@code [0, items)} split into ranges; {@code workPerItem} sizes the split. */
    static void run(KernelLauncher launcher, long items, long workPerItem, RangeBody body) {
        if (items <= 0) {
            return;
        }
        int threads = Math.max(1, launcher.computeThreads());
        long perItem = Math.max(1, workPerItem);
        long work = items > Long.MAX_VALUE / perItem ? Long.MAX_VALUE : items * perItem;
        long byWork = Math.max(1, work / MIN_WORK_PER_RANGE);
        int ranges = (int) Math.min(Math.min(items, byWork), threads * 4L);
        if (threads == 1 || ranges <= 1) {
            body.run(0, items);
            return;
        }
        launcher.parallelFor(ranges, r -> body.run(items * r / ranges, items * (r + 1) / ranges));
    }
}
