package dev.tandem.deepseek.dbo;

import dev.tandem.deepseek.model.LeakCheck;
import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.deepseek.model.WeightSource;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.LinkModel;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.trace.OverlapReport;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dual-batch overlap pays off when communication M is about as long as computation C: with an emulated link sized
 * (calibrated in the test) so that M ≈ C in a sequential forward, the best DBO forward beats the best sequential
 * forward by a clear margin, and the DBO trace shows a good part of the communication hidden under compute.
 *
 * <p>Robust on a loaded machine by construction: the emulated link sleeps instead of computing, so extra CPU load
 * inflates C in both schedules alike and only makes the hidden part larger; best-of-N discards the unlucky runs.
 */
class DboSpeedTest extends LeakCheck {
    static final DeepSeekConfig CONFIG = DeepSeekConfig.preset("tiny-v2lite");
    static final int RANKS = 2;
    static final int[] LENS = {32, 32, 32, 32};
    /**
     * Calibration link: slow and bandwidth-bound (latency 0), so the measured M is mostly transfer time (which
     * scales with 1/bandwidth, and halves with a micro-batch) rather than rank skew.
     */
    static final double CALIBRATION_GBPS = 0.002;
    /**
     * Sequential M relative to C, aimed at from the calibration: about equal, a little below. Measured on the
     * 2-core box: the DBO forward's comm stream is busy about 1.4x the sequential M (it also runs frees, host
     * callbacks, index selects and copies, and waits in collectives for the slower rank), so with M > C the comm
     * stream becomes the critical path and the margin shrinks (ratio ~0.97-0.99 at M = 1.25 C, ~0.75-0.8 at
     * M = 0.5-1.0 C). Override with -Ddbo.mOverC=.
     */
    static final double TARGET_M_OVER_C = Double.parseDouble(System.getProperty("dbo.mOverC", "0.75"));
    /**
     * The scalar Java GEMM: 128 tokens of tiny-v2lite are a few milliseconds of compute with the vector or BLAS GEMM,
     * too little against the fixed per-operation costs of a loaded 2-core box for any schedule to show its effect;
     * the scalar one keeps C in the range this test was sized for.
     */
    static final String GEMM = "java-scalar";
    static final int MIN_PAIRS = 3;
    static final int MAX_PAIRS = 8;
    static final int ATTEMPTS = 3;

    @Test
    void overlapBeatsSequentialWhenCommunicationMatchesCompute() {
        // Up to ATTEMPTS complete measurements (calibration included); a load burst from other processes can spoil
        // one, but DBO must come out clearly ahead in at least one, and the reported one is the best.
        Measurement best = null;
        List<String> tries = new ArrayList<>();
        for (int attempt = 0; attempt < ATTEMPTS && (best == null || !best.passes()); attempt++) {
            Measurement m = measure();
            tries.add(String.format(Locale.ROOT, "attempt %d: ratio %.2f, hidden %.0f%%", attempt + 1, m.ratio(),
                    m.dbo().hiddenPercent()));
            if (best == null || m.ratio() < best.ratio()) {
                best = m;
            }
        }
        String summary = tries + "; best: " + best.summary();
        System.out.println("DboSpeedTest: " + summary);
        assertThat(best.ratio()).as("best DBO forward / best sequential forward; %s", summary).isLessThan(0.9);
        assertThat(best.dbo().hiddenPercent()).as("communication hidden under compute in the DBO run; %s", summary)
                .isGreaterThan(30.0);
    }

    record Measurement(Calibration calibration, double gbps, long bestSeq, long bestDbo, OverlapReport seq,
                       OverlapReport dbo) {
        double ratio() {
            return (double) bestDbo / bestSeq;
        }

        boolean passes() {
            return ratio() < 0.9 && dbo.hiddenPercent() > 30.0;
        }

        String summary() {
            return String.format(Locale.ROOT,
                    "calibration C=%.1f ms M=%.1f ms at %.4f GB/s -> link %.4f GB/s; best sequential %.1f ms, best dbo %.1f ms "
                            + "(ratio %.2f), dbo hidden %.0f%%%nsequential (best run):%n%sdbo (best run):%n%s",
                    calibration.compute() / 1e6, calibration.comm() / 1e6, CALIBRATION_GBPS, gbps, bestSeq / 1e6,
                    bestDbo / 1e6, ratio(), dbo.hiddenPercent(), seq.describe(), dbo.describe());
        }
    }

    private static Measurement measure() {
        // 1. calibrate: C and M of warmed-up sequential forwards over a slow, bandwidth-bound link
        Calibration cal = calibrate();
        // M's transfer part scales with 1/bandwidth: aim at M = TARGET_M_OVER_C x C in the sequential forward
        double gbps = CALIBRATION_GBPS * cal.comm() / (TARGET_M_OVER_C * cal.compute());
        LinkModel link = new LinkModel(gbps, 20);

        try (TandemRuntime rt = DboSupport.host(RANKS, true, GEMM);
             DecoderRunner runner = runner(rt, link)) {
            List<Request> requests = DboSupport.prefill(CONFIG, LENS, null, 3);
            List<Request> split = twoMicroBatches(requests);
            for (int i = 0; i < 2; i++) { // JIT warm-up of both paths
                timed(runner, requests, Scheduling.SEQUENTIAL);
                timed(runner, split, Scheduling.OVERLAPPED);
            }
            long bestSeq = Long.MAX_VALUE;
            long bestDbo = Long.MAX_VALUE;
            OverlapReport seqReport = null;
            OverlapReport dboReport = null;
            // interleaved pairs, so load spikes from other processes hit both schedules alike; stop early once clear
            for (int i = 0; i < MAX_PAIRS && !(i >= MIN_PAIRS && bestDbo < 0.8 * bestSeq); i++) {
                rt.tracer().clear();
                long s = timed(runner, requests, Scheduling.SEQUENTIAL);
                if (s < bestSeq) {
                    bestSeq = s;
                    seqReport = OverlapReport.of(rt.tracer().spans());
                }
                rt.tracer().clear();
                long d = timed(runner, split, Scheduling.OVERLAPPED);
                if (d < bestDbo) {
                    bestDbo = d;
                    dboReport = OverlapReport.of(rt.tracer().spans());
                }
            }
            return new Measurement(cal, gbps, bestSeq, bestDbo, seqReport, dboReport);
        }
    }

    record Calibration(double compute, double comm) {
    }

    /** Least disturbed of a few warmed-up sequential forwards: smallest C, and smallest M (least rank skew). */
    private static Calibration calibrate() {
        try (TandemRuntime rt = DboSupport.host(RANKS, true, GEMM);
             DecoderRunner runner = runner(rt, new LinkModel(CALIBRATION_GBPS, 0))) {
            List<Request> requests = DboSupport.prefill(CONFIG, LENS, null, 3);
            double c = Double.MAX_VALUE;
            double m = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                rt.tracer().clear();
                timed(runner, requests, Scheduling.SEQUENTIAL);
                OverlapReport report = OverlapReport.of(rt.tracer().spans());
                if (i >= 2) { // after warm-up
                    c = Math.min(c, report.meanComputeNanos());
                    m = Math.min(m, report.meanCommNanos());
                }
            }
            assertThat(c).as("calibrated compute time").isPositive();
            assertThat(m).as("calibrated communication time").isPositive();
            return new Calibration(c, m);
        }
    }

    private static DecoderRunner runner(TandemRuntime rt, LinkModel link) {
        return new DecoderRunner(rt, CONFIG, WeightSource.random(CONFIG, 21), 1, 3, DecoderRunner.Options.defaults(RANKS)
                .withCommunicatorOptions(CommunicatorOptions.defaults().withLink(link)));
    }

    /** The same requests in two micro-batches, half the requests each (each rank gets one of each under DP). */
    private static List<Request> twoMicroBatches(List<Request> requests) {
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            Request q = requests.get(i);
            out.add(new Request(q.id(), q.hidden(), q.positions(), i < requests.size() / 2 ? 0 : 1));
        }
        return out;
    }

    /** Wall time of one forward; the request ids are released afterwards so every run starts from empty caches. */
    private static long timed(DecoderRunner runner, List<Request> requests, Scheduling scheduling) {
        long start = System.nanoTime();
        try {
            float[] out = runner.forward(requests, scheduling);
            long t = System.nanoTime() - start;
            assertThat(out).hasSize(Arrays.stream(LENS).sum() * CONFIG.hiddenSize());
            return t;
        } finally {
            for (Request q : requests) {
                runner.release(q.id());
            }
        }
    }
}
