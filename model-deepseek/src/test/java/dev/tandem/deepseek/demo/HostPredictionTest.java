package dev.tandem.deepseek.demo;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.deepseek.model.MlaMode;
import dev.tandem.deepseek.model.WeightSource;
import dev.tandem.deepseek.plan.PlanSetup;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.MicroBatchPlanner;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.RoutingModel;
import dev.tandem.runtime.sim.SimRuntime;
import dev.tandem.runtime.sim.SimSettings;
import dev.tandem.runtime.trace.ChromeTrace;
import dev.tandem.runtime.trace.OverlapReport;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The planner's honesty check on this machine: the main job ({@link OverlapDemo}'s defaults: DeepSeek-V3-shaped MoE
 * layers on host ranks over the emulated link, sequential and dual-batch overlap) is measured on the host backend
 * and predicted by the same {@link DecoderRunner} on the sim backend, with host profiles measured in the same run
 * from micro-benchmarks ({@code HostProfile} through {@link PlanSetup#hostProfile}: the GEMM rate by row count at
 * the job's weight shapes, each element-wise kernel's rate and fixed time per call at the job's width, attention's
 * efficiency at its heads, memory bandwidth, the host's time per operation, the host's and a stream's wake-up after a
 * wait while the ranks compute, compute's slow-down while communication runs, the share of the host's own work the
 * devices lose to it, and the emulated link), never from the forward. The job's routing is an input, not a timing:
 * the tokens per expert its router chose (random weights route unevenly) are recorded with an
 * {@code ExpertLoadListener} and replayed on the simulated devices ({@code RoutingModel.replay}). Each prediction
 * must be within 15% of its measurement.
 *
 * <p>A shared machine's speed moves by tens of percent within seconds (on the 2-core VM this was developed on, the
 * GEMM rate measured twice a few seconds apart differed by 6-37%), so one profile measurement against forwards
 * timed at another moment compares two different machines. The check therefore interleaves: after
 * {@link #WARMUP} pairs of forwards (the JIT still compiles for tens of seconds), {@link #BLOCKS} times it measures a
 * profile, runs one untimed pair (the profile's own kernels leave the JIT and the caches to the forward's again) and
 * times {@link #PAIRS} alternating sequential and DBO forwards; then it measures a last profile. The profiles are
 * pooled into one (each figure's median; the wake-ups' mean, since they are bimodal) whose prediction is compared with
 * the median measured forward.
 *
 * <p>Skipped, with the reason and every figure, when the machine is too noisy to measure, by four objective rules:
 * other processes (or the hypervisor, as steal time) used more than {@link #OTHERS} cores during the check; the GEMM
 * rates of the profiles deviate by more than {@link #SPEED_SPREAD} (median absolute deviation over the median: the
 * machine's speed moved during the check); a schedule's forward times deviate from their median by more than
 * {@link #SCATTER}; or a schedule's median moved by more than {@link #DRIFT} between the first and the second half of
 * the timed forwards. {@code -Dtandem.prediction.check=false} skips the check (it takes about a minute);
 * {@code -Dtandem.prediction.force=true} judges whatever the rules say; {@code -Dtandem.prediction.debug=true} prints
 * every timed forward, every profile's figures and prediction, per-operation totals and overlap reports of one traced
 * forward of each schedule on both backends, and writes their Perfetto traces to
 * {@code target/host-prediction-*.json}.
 *
 * <p>On the 2-core VM it was developed on, the prediction is 4-13% fast for sequential forwards and 9% fast to 10%
 * slow for DBO (the README lists the runs). What remains is mostly the VM's own noise: its forwards switch for seconds
 * at a time between a fast regime and one 10-15% slower that the micro-benchmarks between them do not see, and one
 * rank's kernels often run slower than the other's, which every collective then waits for.
 */
@Tag("host-prediction")   // run in a JVM of its own (model-deepseek/pom.xml)
class HostPredictionTest {
    /** The main job's configuration: its defaults (preset, MoE layers, tokens, requests, ranks, link, seed). */
    private static final DemoOptions DEMO = DemoOptions.parse(new String[0]);
    private static final LinkEmulation LINK = DEMO.link();
    /** Forwards per schedule before measuring (JIT, caches). */
    private static final int WARMUP = 30;
    /** Profile measurements followed by timed forwards. */
    private static final int BLOCKS = 5;
    /** Timed forwards per schedule after each profile measurement. */
    private static final int PAIRS = 4;
    /**
     * The most the profiles' GEMM rates may deviate (median absolute deviation over the median) before the machine
     * counts as having changed speed during the check.
     */
    private static final double SPEED_SPREAD = 0.05;
    /**
     * The most a schedule's forward times may deviate from their median (median absolute deviation over the median):
     * steady windows on the 2-core VM scatter 1.5-5%, windows that mix its fast and slow regimes more.
     */
    private static final double SCATTER = 0.06;
    /**
     * The most a schedule's median may move between the two halves of its forwards. Medians of ten forwards that
     * scatter 3-5% differ by a few percent by chance alone; 10% is a change of regime.
     */
    private static final double DRIFT = 0.10;
    /** The most CPU, in cores, the rest of the machine may use during the check. */
    private static final double OTHERS = 0.2;
    /** On unless {@code -Dtandem.prediction.check=false} (the check takes about a minute). */
    private static final boolean CHECK = Boolean.parseBoolean(System.getProperty("tandem.prediction.check", "true"));
    private static final boolean FORCE = Boolean.getBoolean("tandem.prediction.force");
    private static final boolean DEBUG = Boolean.getBoolean("tandem.prediction.debug");

    private final DeepSeekConfig config;
    private final int first;
    private final DemoBatch batch;
    private final MicroBatchPlan whole;
    private final MicroBatchPlan split;
    private final DecoderRunner.Options options;

    HostPredictionTest() {
        DeepSeekConfig preset = DeepSeekConfig.preset(DEMO.preset());
        config = preset.withNumHiddenLayers(preset.firstKDenseReplace() + DEMO.moeLayers());
        first = preset.firstKDenseReplace();
        batch = DemoBatch.random(config, DEMO.requests(), DEMO.tokens(), DEMO.seed());
        MicroBatchPlanner planner = new MicroBatchPlanner(1, 0.1, true, new MicroBatchPlanner.CostModel(1, 0));
        whole = planner.plan(batch.shapes(), 1);
        split = planner.plan(batch.shapes(), DEMO.microBatches());
        options = DecoderRunner.Options.defaults(DEMO.ranks()).withMla(MlaMode.NAIVE)
                .withCommunicatorOptions(CommunicatorOptions.defaults().withLink(LINK));
    }

    @Test
    void hostProfilePredictsTheDemoWithin15Percent() {
        Assumptions.assumeTrue(CHECK || FORCE, "the host prediction check was switched off "
                + "(-Dtandem.prediction.check=false)");
        List<HardwareProfile> profiles = new ArrayList<>();
        long[][] measured = new long[2][BLOCKS * PAIRS];
        CpuSample start = CpuSample.now();
        // leak tracking (on in -Dtandem.leakTracking runs) records a stack per handle: not part of the job
        boolean tracking = LeakTracker.global().isEnabled();
        LeakTracker.global().disable();
        List<List<int[]>> routing;
        try {
            routing = measureOnHost(profiles, measured);
        } finally {
            if (tracking) {
                LeakTracker.global().enable();
            }
        }
        double others = start.othersCores(CpuSample.now());
        HardwareProfile pooled = pooled(profiles);
        long[] predicted = predict(pooled, routing, DEBUG);
        if (DEBUG) {
            for (int p = 0; p < profiles.size(); p++) {
                describe("profile " + p, profiles.get(p), predict(profiles.get(p), routing, false));
            }
            describe("pooled", pooled, predicted);
        }
        double[] peaks = profiles.stream().mapToDouble(hp -> hp.peak("f32")).toArray();
        double speedSpread = deviation(peaks) / median(peaks);
        String[] names = {"sequential", "dbo"};
        long[] measuredMedian = new long[2];
        double[] drift = new double[2];
        double[] scatter = new double[2];
        StringBuilder report = new StringBuilder();
        for (int s = 0; s < 2; s++) {
            measuredMedian[s] = median(measured[s]);
            long early = median(Arrays.copyOfRange(measured[s], 0, BLOCKS * PAIRS / 2));
            long late = median(Arrays.copyOfRange(measured[s], BLOCKS * PAIRS / 2, BLOCKS * PAIRS));
            drift[s] = Math.abs((double) late / early - 1);
            double[] all = Arrays.stream(measured[s]).asDoubleStream().toArray();
            scatter[s] = deviation(all) / median(all);
            report.append(String.format(Locale.ROOT, "%s measured %.2f ms (halves %.1f%% apart, scatter %.1f%%), "
                            + "predicted %.2f ms (%+.1f%%); ", names[s], measuredMedian[s] / 1e6, 100 * drift[s],
                    100 * scatter[s], predicted[s] / 1e6,
                    100.0 * (predicted[s] - measuredMedian[s]) / measuredMedian[s]));
        }
        report.append(String.format(Locale.ROOT, "%d forwards of each schedule, %d profiles (GEMM rate %.1f%% apart); "
                + "other processes used %.2f cores", BLOCKS * PAIRS, profiles.size(), 100 * speedSpread, others));
        System.out.println("host prediction check: " + report);

        Assumptions.assumeTrue(FORCE || others <= OTHERS, String.format(Locale.ROOT, "machine too loaded to "
                + "measure: other processes (and the hypervisor, as steal time) used %.2f cores during the check, "
                + "more than %.1f (%s)", others, OTHERS, report));
        // the profiles measured between the forwards disagree on the machine's speed: it moved during the check
        Assumptions.assumeTrue(FORCE || speedSpread <= SPEED_SPREAD, String.format(Locale.ROOT, "machine too noisy to "
                + "measure: the GEMM rates measured during the check deviate by %.1f%% (%s)", 100 * speedSpread,
                report));
        for (int s = 0; s < 2; s++) {
            // the same forward's times spread widely: their median is not one figure to predict
            Assumptions.assumeTrue(FORCE || scatter[s] <= SCATTER, String.format(Locale.ROOT, "machine too noisy to "
                    + "measure: the %s forward's times deviate by %.1f%% from their median (%s)", names[s],
                    100 * scatter[s], report));
            // the same forward early and late in the window moved: its speed is not one figure to predict
            Assumptions.assumeTrue(FORCE || drift[s] <= DRIFT, String.format(Locale.ROOT, "machine too noisy to "
                    + "measure: the %s forward's median moved by %.1f%% between the halves of the check (%s)",
                    names[s], 100 * drift[s], report));
        }
        for (int s = 0; s < 2; s++) {
            assertThat((double) predicted[s]).as(report.toString())
                    .isBetween(0.85 * measuredMedian[s], 1.15 * measuredMedian[s]);
        }
    }

    /**
     * Runs the main job on host ranks: warm-up, then {@link #BLOCKS} times a profile measurement followed by
     * {@link #PAIRS} alternating timed forwards (alternating, so that a slow stretch costs both schedules alike),
     * then a last profile; finally records the job's routing. Fills {@code profiles} and {@code measured}
     * ([schedule][forward], nanoseconds) and returns each rank's tokens per expert, call by call.
     */
    private List<List<int[]>> measureOnHost(List<HardwareProfile> profiles, long[][] measured) {
        try (TandemRuntime host = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host")
                .withDeviceCount(DEMO.ranks()).withComputeThreads(1));
             DecoderRunner runner = new DecoderRunner(host, config, WeightSource.random(config, DEMO.seed()), first,
                     config.numHiddenLayers(), options)) {
            for (int i = 0; i < WARMUP; i++) {
                batch.run(runner, whole, Scheduling.SEQUENTIAL);
                batch.run(runner, split, Scheduling.OVERLAPPED);
            }
            int n = 0;
            for (int b = 0; b < BLOCKS; b++) {
                profiles.add(profile());
                // untimed: the profile's own kernels and threads leave the JIT and the caches to the forward's again
                batch.run(runner, whole, Scheduling.SEQUENTIAL);
                batch.run(runner, split, Scheduling.OVERLAPPED);
                for (int i = 0; i < PAIRS; i++, n++) {
                    measured[0][n] = time(() -> batch.run(runner, whole, Scheduling.SEQUENTIAL));
                    measured[1][n] = time(() -> batch.run(runner, split, Scheduling.OVERLAPPED));
                }
            }
            profiles.add(profile());
            if (DEBUG) {
                System.out.println("sequential forwards (ms): " + millis(measured[0]));
                System.out.println("overlapped forwards (ms): " + millis(measured[1]));
                traced(host, "host", () -> batch.run(runner, whole, Scheduling.SEQUENTIAL), "sequential");
                traced(host, "host", () -> batch.run(runner, split, Scheduling.OVERLAPPED), "dbo");
            }
            // The job's routing (random weights route unevenly) is an input of the prediction, not a timing:
            // record it for one sequential and one overlapped forward, which the simulation replays in that order.
            List<TreeMap<Long, int[]>> routed = new ArrayList<>();
            for (int r = 0; r < DEMO.ranks(); r++) {
                routed.add(new TreeMap<>());
            }
            runner.expertLoadListener((rank, layer, microBatch, sequence, counts) -> {
                synchronized (routed) {
                    routed.get(rank).put(sequence, counts);
                }
            });
            batch.run(runner, whole, Scheduling.SEQUENTIAL);
            batch.run(runner, split, Scheduling.OVERLAPPED);
            runner.expertLoadListener(null);
            List<List<int[]>> recorded = new ArrayList<>();
            for (var calls : routed) {
                recorded.add(List.copyOf(calls.values()));
            }
            return recorded;
        }
    }

    private HardwareProfile profile() {
        return PlanSetup.hostProfile(config, AttentionMode.DP, DEMO.ranks(), 1, LINK);
    }

    /**
     * The sequential and the DBO forward on sim ranks with {@code profile} and the recorded routing, nanoseconds; each
     * rehearsed first, since the host's devices share the CPU ({@link SimRuntime#rehearseAndRun}).
     */
    private long[] predict(HardwareProfile profile, List<List<int[]>> routing, boolean trace) {
        try (SimRuntime sim = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(DEMO.ranks()),
                SimSettings.of(profile).withRouting(RoutingModel.replay(routing)));
             DecoderRunner runner = new DecoderRunner(sim, config, WeightSource.random(config, DEMO.seed()), first,
                     config.numHiddenLayers(), options)) {
            long[] out = new long[2];
            MicroBatchPlan[] plans = {whole, split};
            Scheduling[] schedules = {Scheduling.SEQUENTIAL, Scheduling.OVERLAPPED};
            String[] names = {"sequential", "dbo"};
            for (int s = 0; s < 2; s++) {
                MicroBatchPlan plan = plans[s];
                Scheduling scheduling = schedules[s];
                String name = names[s];
                out[s] = sim.rehearseAndRun(() -> {
                    long t0 = sim.virtualNanos();
                    Runnable forward = () -> batch.run(runner, plan, scheduling);
                    if (trace) {
                        traced(sim, "sim", forward, name);
                    } else {
                        forward.run();
                    }
                    return sim.virtualNanos() - t0;
                });
            }
            return out;
        }
    }

    /** Runs {@code forward} traced: prints per-operation totals and the overlap report, writes a Perfetto trace. */
    private static void traced(TandemRuntime rt, String backend, Runnable forward, String schedule) {
        rt.tracer().clear();
        rt.tracer().enable();
        forward.run();
        rt.tracer().disable();
        List<TraceSpan> spans = rt.tracer().spans();
        System.out.println(backend + " " + schedule + totals(spans) + "\n" + OverlapReport.of(spans).describe()
                + "\n" + computingDevices(spans));
        try {
            ChromeTrace.write(spans, Path.of("target", "host-prediction-" + backend + "-" + schedule + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        rt.tracer().clear();
    }

    /**
     * How long 0, 1, 2... devices computed at once (spans other than collectives): where devices share the CPU, one
     * that computes alone runs faster ({@code host.alone.speedup}).
     */
    private static String computingDevices(List<TraceSpan> spans) {
        List<long[]> edges = new ArrayList<>();   // {time, device, +1 or -1}
        int devices = 0;
        for (var s : spans) {
            devices = Math.max(devices, s.device() + 1);
            if (!s.name().startsWith("all")) {
                edges.add(new long[] {s.startNanos(), s.device(), 1});
                edges.add(new long[] {s.endNanos(), s.device(), -1});
            }
        }
        edges.sort((a, b) -> Long.compare(a[0], b[0]));
        int[] running = new int[devices];
        long[] time = new long[devices + 1];
        long last = edges.isEmpty() ? 0 : edges.getFirst()[0];
        for (long[] e : edges) {
            int busy = (int) Arrays.stream(running).filter(r -> r > 0).count();
            time[busy] += e[0] - last;
            last = e[0];
            running[(int) e[1]] += (int) e[2];
        }
        StringBuilder b = new StringBuilder("devices computing at once:");
        for (int k = 0; k <= devices; k++) {
            b.append(String.format(Locale.ROOT, " %d for %.1f ms;", k, time[k] / 1e6));
        }
        return b.toString();
    }

    /** Per-operation totals of each rank (device) and stage, e.g. {@code d1 compute:matmul experts}. */
    private static String totals(List<TraceSpan> spans) {
        Map<String, Long> sum = new TreeMap<>();
        Map<String, Integer> count = new TreeMap<>();
        for (var s : spans) {
            // the stage tag without layer and micro-batch numbers: expert GEMMs apart from attention's
            String stage = s.tag() == null || s.tag().isEmpty() ? "" : " " + s.tag().replaceAll("^mb\\d+/L\\d+/", "");
            String key = "d" + s.device() + " " + s.stream().replaceFirst("^rank\\d+-", "") + ":" + s.name() + stage;
            sum.merge(key, s.durationNanos(), Long::sum);
            count.merge(key, 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        sum.forEach((k, v) -> b.append(String.format(Locale.ROOT, "%n  %-52s %5d ops %9.2f ms", k, count.get(k),
                v / 1e6)));
        return b.toString();
    }

    /**
     * One profile from the repeated measurements: each figure's median, except the wake-ups' mean (they are bimodal,
     * a free core at once or the next scheduler tick, so the pooled mean of every sample is what a forward's many
     * waits add up to, where a median flips between the modes).
     */
    private static HardwareProfile pooled(List<HardwareProfile> profiles) {
        HardwareProfile first = profiles.getFirst();
        return new HardwareProfile(first.name(), first.description() + ", pooled over " + profiles.size()
                + " measurements", medians(profiles, HardwareProfile::peakTflops),
                median(profiles, HardwareProfile::gemmEfficiency), median(profiles, HardwareProfile::gemmHalfRows),
                median(profiles, HardwareProfile::hbmGBps), median(profiles, HardwareProfile::hbmEfficiency),
                first.memoryGiB(), first.intraGBps(), first.intraLatencyMicros(), first.interGBps(),
                first.interLatencyMicros(), first.allToAllGBps(), median(profiles, HardwareProfile::launchMicros),
                median(profiles, HardwareProfile::commSlowdown), first.activationBytes(), first.devicesPerNode(),
                mean(profiles, HardwareProfile::hostWakeMicros), mean(profiles, HardwareProfile::streamWakeMicros),
                medians(profiles, HardwareProfile::kernelGBps), median(profiles, HardwareProfile::aloneSpeedup),
                medians(profiles, HardwareProfile::gemmRowsEfficiency), medians(profiles, HardwareProfile::kernelMicros),
                median(profiles, HardwareProfile::attentionEfficiency), median(profiles, HardwareProfile::hostSteal),
                first.streamParkMicros());
    }

    private static double median(List<HardwareProfile> profiles, ToDoubleFunction<HardwareProfile> figure) {
        return median(profiles.stream().mapToDouble(figure).toArray());
    }

    private static double mean(List<HardwareProfile> profiles, ToDoubleFunction<HardwareProfile> figure) {
        return profiles.stream().mapToDouble(figure).average().orElseThrow();
    }

    /** Each key's median over the profiles that have it. */
    private static <K> Map<K, Double> medians(List<HardwareProfile> profiles,
                                              Function<HardwareProfile, Map<K, Double>> figures) {
        Map<K, List<Double>> values = new TreeMap<>();
        profiles.forEach(hp -> figures.apply(hp).forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>())
                .add(v)));
        Map<K, Double> out = new TreeMap<>();
        values.forEach((k, v) -> out.put(k, median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        return out;
    }

    private static void describe(String label, HardwareProfile hp, long[] both) {
        System.out.printf(Locale.ROOT, "%s: %.1f GFLOPS peak, half at %.0f rows, %.1f GB/s, %.2f us per op, %.0f us "
                        + "host and %.0f us stream wake-up, comm slow-down %.2f, alone speed-up %.2f, GEMM efficiency "
                        + "by rows %s, kernels GB/s %s and us %s, attention efficiency %.2f, host steal %.2f -> "
                        + "sequential %.1f ms, dbo %.1f ms%n", label, hp.peak("f32") * 1e3, hp.gemmHalfRows(),
                hp.hbmGBps(), hp.launchMicros(), hp.hostWakeMicros(), hp.streamWakeMicros(), hp.commSlowdown(),
                hp.aloneSpeedup(), rounded(hp.gemmRowsEfficiency()), rounded(hp.kernelGBps()),
                rounded(hp.kernelMicros()), hp.attentionEfficiency(), hp.hostSteal(), both[0] / 1e6, both[1] / 1e6);
    }

    private static String rounded(Map<?, Double> figures) {
        Map<String, String> out = new TreeMap<>();
        figures.forEach((k, v) -> out.put(String.valueOf(k), String.format(Locale.ROOT, "%.2f", v)));
        return out.toString();
    }

    private static String millis(long[] times) {
        return Arrays.toString(Arrays.stream(times).mapToObj(t -> String.format(Locale.ROOT, "%.1f", t / 1e6))
                .toArray());
    }

    /**
     * The machine's busy CPU time (all cores, steal included, from {@code /proc/stat}) and this process's, so that
     * what other processes used in between can be told from what the check itself used (a load average counts the
     * check's own threads and the tests before it).
     */
    private record CpuSample(long busyNanos, long processNanos, long wallNanos) {
        /** Linux's USER_HZ, the unit of {@code /proc/stat}. */
        private static final long TICK_NANOS = 10_000_000;

        static CpuSample now() {
            try {
                String[] all = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
                // cpu user nice system idle iowait irq softirq steal ...: everything but idle and iowait
                long busy = 0;
                for (int i = 1; i <= 8 && i < all.length; i++) {
                    if (i != 4 && i != 5) {
                        busy += Long.parseLong(all[i]);
                    }
                }
                // /proc/self/stat: pid (comm) state ... utime stime (fields 14 and 15), after the command's ')'
                String self = Files.readString(Path.of("/proc/self/stat"));
                String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
                long process = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                return new CpuSample(busy * TICK_NANOS, process * TICK_NANOS, System.nanoTime());
            } catch (IOException | RuntimeException e) {
                return new CpuSample(-1, -1, System.nanoTime());   // not Linux: the rule does not apply
            }
        }

        /** Cores used by everything but this process from this sample to {@code later}; 0 where unknown. */
        double othersCores(CpuSample later) {
            if (busyNanos < 0 || later.busyNanos < 0 || processNanos < 0 || later.processNanos < 0) {
                return 0;
            }
            long others = (later.busyNanos - busyNanos) - (later.processNanos - processNanos);
            return Math.max(0, others) / (double) Math.max(1, later.wallNanos - wallNanos);
        }
    }

    private static long time(Runnable forward) {
        long start = System.nanoTime();
        forward.run();
        return System.nanoTime() - start;
    }

    /** The median (the mean of the middle two for an even count). */
    private static long median(long[] times) {
        long[] t = times.clone();
        Arrays.sort(t);
        return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }

    /** The median of doubles (the mean of the middle two for an even count). */
    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The median absolute deviation from the median. */
    private static double deviation(double[] values) {
        double m = median(values);
        return median(Arrays.stream(values).map(v -> Math.abs(v - m)).toArray());
    }
}
