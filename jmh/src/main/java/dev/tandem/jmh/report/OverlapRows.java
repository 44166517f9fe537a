package dev.tandem.jmh.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Derives {@link OverlapRow}s from results that have a {@code schedule} parameter (LayerBenchmarks): each result
 * whose schedule is not {@code sequential} is paired with the {@code sequential} result of the same benchmark,
 * mode, unit and other parameters. The ideal speed-up needs the sequential run's {@code computeBusy} and
 * {@code commBusy} counters; results without a sequential partner are left out.
 */
public final class OverlapRows {
    public static final String SCHEDULE = "schedule";
    public static final String SEQUENTIAL = "sequential";
    public static final String COMPUTE_BUSY = "computeBusy";
    public static final String COMM_BUSY = "commBusy";

    private OverlapRows() {
    }

    /** One row per overlapped result with a sequential partner, in the order of the results. */
    public static List<OverlapRow> derive(List<BenchmarkResult> results) {
        Map<Key, BenchmarkResult> sequential = new LinkedHashMap<>();
        for (BenchmarkResult r : results) {
            if (SEQUENTIAL.equals(r.params().get(SCHEDULE))) {
                sequential.putIfAbsent(Key.of(r), r);
            }
        }
        List<OverlapRow> rows = new ArrayList<>();
        for (BenchmarkResult r : results) {
            String schedule = r.params().get(SCHEDULE);
            BenchmarkResult base = sequential.get(Key.of(r));
            if (schedule == null || schedule.equals(SEQUENTIAL) || base == null) {
                continue;
            }
            rows.add(row(r, base, schedule));
        }
        return rows;
    }

    private static OverlapRow row(BenchmarkResult overlapped, BenchmarkResult base, String schedule) {
        Metric fast = overlapped.primary();
        Metric slow = base.primary();
        // Throughputs divide directly; for times per operation the ratio is the other way round.
        boolean throughput = !slow.unit().endsWith("/op");
        double speedup = throughput ? fast.score() / slow.score() : slow.score() / fast.score();
        double error = speedup * Math.hypot(fast.error() / fast.score(), slow.error() / slow.score());
        return new OverlapRow(overlapped.shortName(), ReportRows.params(Key.of(overlapped).otherParams()), schedule,
                speedup, error, busy(base, COMPUTE_BUSY), busy(base, COMM_BUSY));
    }

    private static double busy(BenchmarkResult result, String counter) {
        Metric m = result.secondary().get(counter);
        return m == null ? Double.NaN : m.score();
    }

    /** What must match for two results to be compared: everything but the schedule (map equality ignores order). */
    private record Key(String benchmark, String mode, String unit, Map<String, String> otherParams) {
        static Key of(BenchmarkResult r) {
            Map<String, String> others = new LinkedHashMap<>(r.params());
            others.remove(SCHEDULE);
            return new Key(r.benchmark(), r.mode(), r.primary().unit(), others);
        }
    }
}
