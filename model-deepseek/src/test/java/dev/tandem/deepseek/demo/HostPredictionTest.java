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
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
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
 * timed at another moment compares two different machines. The check therefore measures in windows that interleave:
 * after {@link #WARMUP} pairs of forwards (the JIT still compiles for tens of seconds), {@link #BLOCKS} times a
 * profile, one untimed pair (the profile's own kernels leave the JIT and the caches to the forward's again) and
 * {@link #PAIRS} alternating sequential and DBO forwards; then a last profile. A window's profiles are pooled into one
 * (each figure's median; the wake-ups' mean, since they are bimodal) whose prediction is compared with the median
 * measured forward of each schedule ({@link PredictionWindow#judge}).
 *
 * <p>A window is too noisy to judge when other processes (or the hypervisor, as steal time) used more than
 * {@link PredictionWindow#OTHERS} cores, the profiles' GEMM rates deviate by more than
 * {@link PredictionWindow#SPEED_SPREAD}, or a schedule's forwards scatter by more than {@link PredictionWindow#SCATTER}
 * or drift by more than {@link PredictionWindow#DRIFT} between the window's halves. The check passes at the first
 * window that is judged and within the tolerance, and fails when two windows were judged and missed before one
 * passed ({@link PredictionWindow#outcome}): the VM's slow stretches last seconds, so a window can miss by the VM's
 * noise alone, and the next steady one passes, while a prediction that is wrong misses in every steady window. It
 * measures up to {@link #WINDOWS} windows, and skips, with every window's figures, when they left it undecided
 * (every window too noisy, or a single miss among noisy ones). Each window's figures are printed.
 *
 * <p>{@code -Dtandem.prediction.check=false} skips the check (it takes about 45 seconds, 35 more per further window);
 * {@code -Dtandem.prediction.force=true} judges windows whatever the noise rules say; {@code
 * -Dtandem.prediction.debug=true} prints every timed forward, every profile's figures and prediction, per-operation
 * totals and overlap reports of one traced forward of each schedule on both backends, and writes their Perfetto
 * traces to {@code target/host-prediction-*.json}. It runs in a JVM of its own (the {@code host-prediction} tag and
 * Surefire execution): inside the suite's JVM its forwards scattered more.
 *
 * <p>On the 2-core VM it was developed on, single windows predict sequential forwards 3-15% fast and DBO forwards
 * from 10% fast to 10% slow (the README lists the runs). What remains is mostly the VM's own noise: its forwards
 * switch for seconds at a time between a fast regime and a slower one, in which the kernels inside the forwards
 * (sequential ones most) run slower than the micro-benchmarks between them measure.
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
    /** Measurement windows at most: more while none passed and no miss was confirmed. */
    private static final int WINDOWS = 3;
    /** Timed forwards per schedule after each profile measurement. */
    private static final int PAIRS = 4;
    /** On unless {@code -Dtandem.prediction.check=false} (the check takes about 45 s, 35 s more per further window). */
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
    @Timeout(600)   // three windows take about two minutes here; the suite's 300 s default is too close on a slower CI
    void hostProfilePredictsTheDemoWithin15Percent() {
        Assumptions.assumeTrue(CHECK || FORCE, "the host prediction check was switched off "
                + "(-Dtandem.prediction.check=false)");
        List<PredictionWindow.Judgement> judgements = new ArrayList<>();
        // leak tracking (on in -Dtandem.leakTracking runs) records a stack per handle: not part of the job
        boolean tracking = LeakTracker.global().isEnabled();
        LeakTracker.global().disable();
        try (TandemRuntime host = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host")
                .withDeviceCount(DEMO.ranks()).withComputeThreads(1));
             DecoderRunner runner = new DecoderRunner(host, config, WeightSource.random(config, DEMO.seed()), first,
                     config.numHiddenLayers(), options)) {
            for (int i = 0; i < WARMUP; i++) {
                batch.run(runner, whole, Scheduling.SEQUENTIAL);
                batch.run(runner, split, Scheduling.OVERLAPPED);
            }
            List<List<int[]>> routing = recordRouting(runner);
            HardwareProfile pooled = null;
            for (int w = 0; w < WINDOWS; w++) {
                PredictionWindow window = measureWindow(runner);
                pooled = pooled(window.profiles());
                long[] predicted = predict(pooled, routing, false);
                PredictionWindow.Judgement judgement = window.judge(predicted);
                judgements.add(judgement);
                System.out.println("host prediction check, window " + (w + 1) + ": " + judgement.report()
                        + (judgement.noise() == null ? "" : " (too noisy: " + judgement.noise() + ")"));
                if (DEBUG) {
                    System.out.println("sequential forwards (ms): " + millis(window.measured()[0]));
                    System.out.println("overlapped forwards (ms): " + millis(window.measured()[1]));
                    for (int p = 0; p < window.profiles().size(); p++) {
                        describe("profile " + p, window.profiles().get(p),
                                predict(window.profiles().get(p), routing, false));
                    }
                    describe("pooled", pooled, predicted);
                }
                if (PredictionWindow.outcome(judgements, FORCE) != PredictionWindow.Outcome.UNDECIDED) {
                    break;
                }
            }
            if (DEBUG) {
                traced(host, "host", () -> batch.run(runner, whole, Scheduling.SEQUENTIAL), "sequential");
                traced(host, "host", () -> batch.run(runner, split, Scheduling.OVERLAPPED), "dbo");
                predict(pooled, routing, true);
            }
        } finally {
            if (tracking) {
                LeakTracker.global().enable();
            }
        }
        StringBuilder all = new StringBuilder();
        for (int w = 0; w < judgements.size(); w++) {
            var j = judgements.get(w);
            all.append(String.format(Locale.ROOT, "%nwindow %d: %s%s%s", w + 1, j.report(),
                    j.noise() == null ? "" : "; too noisy: " + j.noise(),
                    j.failure() == null ? "" : "; " + j.failure()));
        }
        var outcome = PredictionWindow.outcome(judgements, FORCE);
        assertThat(outcome).as("the planner's prediction of the main job on this machine missed its measurement by "
                + "more than 15%% in %d windows:%s", PredictionWindow.CONFIRMING_MISSES, all)
                .isNotEqualTo(PredictionWindow.Outcome.FAILED);
        Assumptions.assumeTrue(outcome == PredictionWindow.Outcome.PASSED, () -> "machine too noisy to judge the "
                + "prediction in " + judgements.size() + " windows (at most one was steady, and it missed):" + all);
    }

    /**
     * One window: {@link #BLOCKS} times a profile measurement followed by one untimed pair and {@link #PAIRS}
     * alternating timed forwards (alternating, so that a slow stretch costs both schedules alike), then a last
     * profile, with the CPU the rest of the machine used meanwhile.
     */
    private PredictionWindow measureWindow(DecoderRunner runner) {
        List<HardwareProfile> profiles = new ArrayList<>();
        long[][] measured = new long[2][BLOCKS * PAIRS];
        CpuSample start = CpuSample.now();
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
        return new PredictionWindow(profiles, measured, start.othersCores(CpuSample.now()));
    }

    /**
     * The job's routing, an input of the prediction, not a timing (random weights route unevenly): each rank's tokens
     * per expert, call by call, for one sequential and one overlapped forward, which the simulation replays in that
     * order.
     */
    private List<List<int[]>> recordRouting(DecoderRunner runner) {
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
                first.streamParkMicros(), first.attentionPacksHeads(), first.stageAllToAllGBps());
    }

    private static double median(List<HardwareProfile> profiles, ToDoubleFunction<HardwareProfile> figure) {
        return Medians.median(profiles.stream().mapToDouble(figure).toArray());
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
        values.forEach((k, v) -> out.put(k, Medians.median(v.stream().mapToDouble(Double::doubleValue).toArray())));
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

    private static long time(Runnable forward) {
        long start = System.nanoTime();
        forward.run();
        return System.nanoTime() - start;
    }
}
