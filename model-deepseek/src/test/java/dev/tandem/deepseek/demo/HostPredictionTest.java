package dev.tandem.deepseek.demo;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.deepseek.model.MlaMode;
import dev.tandem.deepseek.model.WeightSource;
import dev.tandem.deepseek.plan.PlanSetup;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.MicroBatchPlanner;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.RoutingModel;
import dev.tandem.runtime.sim.SimRuntime;
import dev.tandem.runtime.sim.SimSettings;
import dev.tandem.runtime.trace.OverlapReport;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The planner's honesty check on this machine: the main job ({@link OverlapDemo}'s defaults: DeepSeek-V3-shaped MoE
 * layers on host ranks over the emulated link, sequential and dual-batch overlap) is measured on the host backend
 * and predicted by the same {@link DecoderRunner} on the sim backend, with a host profile measured in the same run
 * from micro-benchmarks ({@code HostProfile} through {@link PlanSetup#hostProfile}: GEMM rate at the job's weight shapes, element-wise bandwidth,
 * per-operation overhead, the host's wake-up after a blocking count exchange while the ranks compute, and the
 * emulated link), never from the forward. The job's routing is an input, not a timing: the tokens per expert its
 * router chose (random weights route unevenly) are recorded with an {@code ExpertLoadListener} and replayed on the
 * simulated devices ({@code RoutingModel.replay}). Each prediction must be within 15% of its measurement.
 *
 * <p>Skipped, with the reason, when the machine is too loaded to measure, by two objective rules: the one-minute load
 * average exceeds the number of cores, or the same sequential forward measured again moved by more than 5%.
 * {@code -Dtandem.prediction.force=true} ignores both; {@code -Dtandem.prediction.debug=true} prints per-operation
 * totals and overlap reports of both runs.
 */
class HostPredictionTest {
    /** The main job's configuration: its defaults (preset, MoE layers, tokens, requests, ranks, link, seed). */
    private static final DemoOptions DEMO = DemoOptions.parse(new String[0]);
    private static final LinkEmulation LINK = DEMO.link();
    @Test
    void hostProfilePredictsTheDemoWithin15Percent() {
        double load = loadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        Assumptions.assumeTrue(Boolean.getBoolean("tandem.prediction.force") || load <= cores,
                String.format(Locale.ROOT, "machine too loaded to measure (load average %.1f on %d cores); the "
                        + "prediction check needs the CPU to itself", load, cores));
        DeepSeekConfig preset = DeepSeekConfig.preset(DEMO.preset());
        DeepSeekConfig config = preset.withNumHiddenLayers(preset.firstKDenseReplace() + DEMO.moeLayers());
        int first = preset.firstKDenseReplace();
        DemoBatch batch = DemoBatch.random(config, DEMO.requests(), DEMO.tokens(), DEMO.seed());
        MicroBatchPlanner planner = new MicroBatchPlanner(1, 0.1, true, new MicroBatchPlanner.CostModel(1, 0));
        MicroBatchPlan whole = planner.plan(batch.shapes(), 1);
        MicroBatchPlan split = planner.plan(batch.shapes(), DEMO.microBatches());
        DecoderRunner.Options options = DecoderRunner.Options.defaults(DEMO.ranks()).withMla(MlaMode.NAIVE)
                .withCommunicatorOptions(CommunicatorOptions.defaults().withLink(LINK));

        long[] measured = new long[2];
        double[] driftOut = new double[1];
        List<List<int[]>> recorded = new ArrayList<>();
        try (TandemRuntime host = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(DEMO.ranks())
                .withComputeThreads(1));
             DecoderRunner runner = new DecoderRunner(host, config, WeightSource.random(config, DEMO.seed()), first,
                     config.numHiddenLayers(), options)) {
            for (int i = 0; i < 2; i++) {
                batch.run(runner, whole, Scheduling.SEQUENTIAL);
                batch.run(runner, split, Scheduling.OVERLAPPED);
            }
            measured[0] = median(() -> batch.run(runner, whole, Scheduling.SEQUENTIAL));
            measured[1] = median(() -> batch.run(runner, split, Scheduling.OVERLAPPED));
            // The same forward measured again: if it moved by more than 5%, the machine is too noisy to judge a
            // prediction against (other processes take the CPU), so the check is skipped rather than failed.
            long again = median(() -> batch.run(runner, whole, Scheduling.SEQUENTIAL));
            double drift = Math.abs((double) again / measured[0] - 1);
            driftOut[0] = drift;
            Assumptions.assumeTrue(Boolean.getBoolean("tandem.prediction.force") || drift <= 0.05,
                    String.format(Locale.ROOT, "machine too noisy to measure: the same forward took %.1f ms, then %.1f ms",
                            measured[0] / 1e6, again / 1e6));
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
            for (var calls : routed) {
                recorded.add(List.copyOf(calls.values()));
            }
            if (Boolean.getBoolean("tandem.prediction.debug")) {
                host.tracer().clear();
                host.tracer().enable();
                batch.run(runner, whole, Scheduling.SEQUENTIAL);
                host.tracer().disable();
                System.out.println("HOST " + totals(host.tracer().spans()));
                host.tracer().clear();
                host.tracer().enable();
                batch.run(runner, split, Scheduling.OVERLAPPED);
                host.tracer().disable();
                System.out.println("HOST DBO " + totals(host.tracer().spans()) + "\n"
                        + OverlapReport.of(host.tracer().spans()).describe());
            }
        }
        HardwareProfile profile = PlanSetup.hostProfile(config, AttentionMode.DP, DEMO.ranks(), 1, LINK);
        long[] predicted = new long[2];
        try (SimRuntime sim = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(DEMO.ranks()), SimSettings.of(profile).withRouting(RoutingModel.replay(recorded)));
             DecoderRunner runner = new DecoderRunner(sim, config, WeightSource.random(config, DEMO.seed()), first,
                     config.numHiddenLayers(), options)) {
            long t0 = sim.virtualNanos();
            sim.tracer().enable();
            batch.run(runner, whole, Scheduling.SEQUENTIAL);
            sim.tracer().disable();
            if (Boolean.getBoolean("tandem.prediction.debug")) {
                System.out.println("SIM  " + totals(sim.tracer().spans()));
            }
            long t1 = sim.virtualNanos();
            sim.tracer().clear();
            sim.tracer().enable();
            batch.run(runner, split, Scheduling.OVERLAPPED);
            sim.tracer().disable();
            if (Boolean.getBoolean("tandem.prediction.debug")) {
                System.out.println("SIM DBO " + totals(sim.tracer().spans()) + "\n"
                        + OverlapReport.of(sim.tracer().spans()).describe());
            }
            predicted[0] = t1 - t0;
            predicted[1] = sim.virtualNanos() - t1;
        }
        String report = String.format(Locale.ROOT, "sequential measured %.2f ms, predicted %.2f ms (%+.1f%%); "
                        + "dbo measured %.2f ms, predicted %.2f ms (%+.1f%%); profile %s: %.1f GFLOPS peak, half at %.0f "
                        + "rows, %.1f GB/s, %.1f us per op, %.0f us host and %.0f us stream wake-up; repeat drift %.1f%%",
                measured[0] / 1e6, predicted[0] / 1e6, 100.0 * (predicted[0] - measured[0]) / measured[0],
                measured[1] / 1e6, predicted[1] / 1e6, 100.0 * (predicted[1] - measured[1]) / measured[1],
                profile.name(), profile.peak("f32") * 1e3, profile.gemmHalfRows(), profile.hbmGBps(),
                profile.launchMicros(), profile.hostWakeMicros(), profile.streamWakeMicros(), 100 * driftOut[0]);
        System.out.println("host prediction check: " + report);
        for (int i = 0; i < 2; i++) {
            assertThat((double) predicted[i]).as(report).isBetween(0.85 * measured[i], 1.15 * measured[i]);
        }
    }

    /** Per-operation totals of each rank (device), e.g. {@code d1 compute:allToAllV}. */
    private static String totals(List<TraceSpan> spans) {
        Map<String, Long> sum = new TreeMap<>();
        Map<String, Integer> count = new TreeMap<>();
        for (var s : spans) {
            String key = "d" + s.device() + " " + s.stream().replaceFirst("^rank\\d+-", "") + ":" + s.name();
            sum.merge(key, s.durationNanos(), Long::sum);
            count.merge(key, 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        sum.forEach((k, v) -> b.append(String.format(Locale.ROOT, "%n  %-40s %5d ops %9.2f ms", k, count.get(k), v / 1e6)));
        return b.toString();
    }

    /** The one-minute load average from /proc/loadavg, or -1 where there is none. */
    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long median(Runnable forward) {
        long[] t = new long[3];
        for (int i = 0; i < t.length; i++) {
            long start = System.nanoTime();
            forward.run();
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t[1];
    }
}
