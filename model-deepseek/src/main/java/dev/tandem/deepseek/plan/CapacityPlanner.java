package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.SimulatedForward;
import dev.tandem.deepseek.model.SimulatedForward.Part;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.sim.SimRuntime;
import dev.tandem.runtime.sim.SimSettings;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.trace.OverlapMetrics;
import dev.tandem.runtime.trace.OverlapReport;
import dev.tandem.runtime.trace.TraceSpan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Predicts a step of a {@link PlanSetup} under each schedule by running it on the simulated backend: the model's
 * real stage programs, {@code Schedules.sequential} and {@code Schedules.overlapped}, with the profile's costs. Then
 * picks the schedule and split, as an overlap advisor would: overlap only when it is predicted to gain at least
 * {@link #MIN_GAIN}.
 *
 * <p>Which ranks are simulated ({@link SimulatedRanks}, chosen by {@link SimulateRanks}): by default a
 * representative subset of up to 8 ranks when every rank provably behaves the same (the same micro-batches on every
 * rank, and routing that gives every rank's experts the same counts: balanced routing with evenly dividing pairs),
 * through the same stage programs on communicators that cost every collective at the full group's size while the
 * other ranks mirror the subset; otherwise every rank, each issued by a virtual thread. Under that symmetry the
 * subset's prediction is the full simulation's (the tests compare both).
 */
public final class CapacityPlanner {
    /** Smallest predicted gain for which overlap is worth its risks (as {@code OverlapAdvisor}'s default). */
    public static final double MIN_GAIN = 0.05;

    private CapacityPlanner() {
    }

    /**
     * One schedule's predicted step.
     *
     * @param schedule        {@code sequential}, {@code dbo} or {@code overlap xN}
     * @param microBatches    micro-batches of the split
     * @param stepNanos       predicted step time: the simulated time (compute slowed by communication included)
     * @param contentionNanos how much longer the kernels of the critical device (the last to finish the step) ran
     *                        because communication ran on that device (the profile's {@code comm.slowdown}, modelled
     *                        inside the simulation); information only, already part of {@code stepNanos}
     * @param computeNanos    mean per-device compute time C
     * @param commNanos       mean per-device communication time M
     * @param hiddenPercent   communication hidden under compute
     * @param exposedNanos    mean communication not hidden
     * @param bubbleNanos     mean time the compute stream idled inside the step
     * @param peakBytes       peak memory of the busiest device (weights, KV cache, activations as Tandem allocates them)
     * @param activationBytes the largest growth over the step's starting memory on any device (activations and new
     *                        KV cache; the requests' cached context counts as resident before the step)
     * @param operations      operations the host issued for the critical device in the step
     * @param hostWorkNanos   the host's own time for the critical device in the step: issuing those operations at
     *                        the profile's {@code launch.us} each, and zeroing new buffers where the profile's host
     *                        does; a step whose host work nears its length is bound by the host, and overlapping the
     *                        device's streams cannot shorten it
     */
    public record Prediction(String schedule, int microBatches, long stepNanos, long contentionNanos,
                             double computeNanos, double commNanos, double hiddenPercent, double exposedNanos,
                             double bubbleNanos, long peakBytes, long activationBytes, long operations,
                             long hostWorkNanos) {
        /**
         * Mean compute time over the step time.
         *
         * @return the compute share, at most about 1
         */
        public double computeShare() {
            return computeNanos / Math.max(1, stepNanos);
        }

        /**
         * Mean communication time over the step time (with overlap, compute and communication shares add to more than 1).
         *
         * @return the communication share
         */
        public double commShare() {
            return commNanos / Math.max(1, stepNanos);
        }
    }

    /**
     * The plan: every requested prediction (the first is sequential), the pick and why.
     *
     * @param imbalance  busiest rank's routed load over the mean (1 = balanced)
     * @param simMillis  real time the simulations took
     * @param pickSpans  trace spans of the picked schedule's step (virtual time; the simulated ranks' devices only)
     * @param setup       the configuration planned
     * @param predictions one prediction per schedule tried, sequential first
     * @param pick        the recommended schedule's prediction
     * @param reason      why that schedule was picked
     * @param ranks       which ranks were simulated (all, or a representative subset) and why
     */
    public record Plan(PlanSetup setup, List<Prediction> predictions, Prediction pick, String reason, double imbalance,
                       long simMillis, List<TraceSpan> pickSpans, SimulatedRanks ranks) {
        /**
         * The sequential schedule's prediction, the baseline of every speed-up.
         *
         * @return the first prediction
         */
        public Prediction sequential() {
            return predictions.getFirst();
        }

        /**
         * Sequential step time over {@code p}'s.
         *
         * @param p a prediction of this plan
         * @return the speed-up, above 1 when {@code p} is faster
         */
        public double speedup(Prediction p) {
            return (double) sequential().stepNanos() / Math.max(1, p.stepNanos());
        }
    }

    /**
     * Plans with sequential plus overlap for 2..{@code setup.microBatches()} micro-batches.
     *
     * @param setup the configuration
     * @return the plan
     */
    public static Plan plan(PlanSetup setup) {
        return plan(setup, setup.microBatches() >= 2);
    }

    /**
     * Plans sequential and, when {@code overlap}, the overlapped schedules.
     *
     * @param setup   the configuration
     * @param overlap whether to simulate the overlapped schedules too
     * @return the plan
     */
    public static Plan plan(PlanSetup setup, boolean overlap) {
        return plan(List.of(setup), overlap).getFirst();
    }

    /**
     * Plans sequential and, when {@code overlap}, the overlapped schedules, simulating the ranks {@code ranks} asks
     * for.
     *
     * @param setup   the configuration
     * @param overlap whether to simulate the overlapped schedules too
     * @param ranks   all ranks, a subset of N, or auto (a subset when every rank behaves the same)
     * @return the plan
     * @throws dev.tandem.runtime.InvalidArgumentException if a forced subset does not divide the group, or the
     *         ranks do not all behave the same
     */
    public static Plan plan(PlanSetup setup, boolean overlap, SimulateRanks ranks) {
        return plan(List.of(setup), overlap, ranks).getFirst();
    }

    /**
     * Plans several setups that share model, layers, hardware and layout (a sweep over batches): each simulated
     * machine and its shape-only weights are built once and reused, and the setups are spread over one such
     * machine per available processor. Results do not depend on the spreading: every step starts from idle.
     * @param setups  the configurations, at least one, sharing model, layers, hardware, layout, quantisation and routing
     * @param overlap whether to simulate the overlapped schedules too
     * @return one plan per setup, in order
     * @throws IllegalArgumentException if the setups do not share those fields
     */
    public static List<Plan> plan(List<PlanSetup> setups, boolean overlap) {
        return plan(setups, overlap, SimulateRanks.auto());
    }

    /**
     * Plans several setups that share model, layers, hardware and layout, as {@link #plan(List, boolean)}, simulating
     * the ranks {@code ranks} asks for; under {@code auto} each setup gets a subset or all ranks by its own symmetry.
     *
     * @param setups  the configurations, at least one, sharing model, layers, hardware, layout, quantisation and routing
     * @param overlap whether to simulate the overlapped schedules too
     * @param ranks   all ranks, a subset of N, or auto (a subset when every rank behaves the same)
     * @return one plan per setup, in order
     * @throws IllegalArgumentException if the setups do not share those fields
     * @throws dev.tandem.runtime.InvalidArgumentException if a forced subset does not divide the group, or a setup's
     *         ranks do not all behave the same (checked before anything is simulated)
     */
    public static List<Plan> plan(List<PlanSetup> setups, boolean overlap, SimulateRanks ranks) {
        PlanSetup first = setups.getFirst();
        for (PlanSetup setup : setups) {
            if (setup.model() != first.model() || setup.layers() != first.layers() || setup.ep() != first.ep()
                    || setup.attention() != first.attention() || setup.profile() != first.profile()
                    || !setup.quant().equals(first.quant()) || setup.routing() != first.routing()) {
                throw new IllegalArgumentException("setups planned together must share model, layers, hardware, "
                        + "layout, quantisation and routing");
            }
        }
        List<List<Step>> steps = new ArrayList<>();
        List<SimulatedRanks> simulated = new ArrayList<>();
        for (PlanSetup setup : setups) {
            List<Step> s = new ArrayList<>();
            for (int n : splits(setup, overlap)) {
                s.add(step(setup, n));
            }
            steps.add(s);
            simulated.add(RankSymmetry.choose(setup, s, ranks));
        }
        int workers = Math.max(1, Math.min(setups.size(), Runtime.getRuntime().availableProcessors()));
        Plan[] plans = new Plan[setups.size()];
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            Runnable job = () -> {
                // one simulated machine per subset size this worker needs (a sweep may need both)
                Map<Integer, Machine> machines = new HashMap<>();
                try {
                    for (int i = worker; i < setups.size(); i += workers) {
                        SimulatedRanks r = simulated.get(i);
                        Machine m = machines.computeIfAbsent(r.simulated(), k -> Machine.open(first, k));
                        plans[i] = plan(setups.get(i), steps.get(i), r, m.runtime(), m.forward());
                    }
                } finally {
                    Closer.runAll(machines.values().stream().<Runnable>map(m -> m::close).toList());
                }
            };
            if (workers == 1) {
                job.run();
            } else {
                done.add(CompletableFuture.runAsync(job, r -> Thread.ofPlatform()
                        .name("tandem-plan-" + worker).start(r)));
            }
        }
        try {
            done.forEach(CompletableFuture::join);
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        return List.of(plans);
    }

    /** A simulated machine of {@code forward.simulatedRanks()} devices with the planned layers built on it. */
    private record Machine(SimRuntime runtime, SimulatedForward forward) implements AutoCloseable {
        static Machine open(PlanSetup setup, int simulated) {
            SimSettings settings = SimSettings.of(setup.profile())
                    .withLinearDType(PlanSetup.linearDType(setup.quant())).withRouting(setup.routing());
            RuntimeOptions options = RuntimeOptions.defaults().withBackend("sim").withDeviceCount(simulated);
            SimRuntime rt = new SimRuntime(options, settings);
            try {
                return new Machine(rt, new SimulatedForward(rt, setup.model(), setup.layers(), setup.ep(), simulated,
                        setup.attention()));
            } catch (RuntimeException e) {
                rt.close();
                throw e;
            }
        }

        @Override
        public void close() {
            Closer.runAll(List.of(forward::close, runtime::close));
        }
    }

    /** The micro-batch counts tried: 1 (sequential), then 2.. for overlap where every rank can be split so. */
    private static List<Integer> splits(PlanSetup setup, boolean overlap) {
        List<Integer> out = new ArrayList<>();
        int maxMb = overlap ? setup.microBatches() : 1;
        for (int n = 1; n <= maxMb; n++) {
            if (n == 1 || splittable(setup, n)) {
                out.add(n);
            }
        }
        return out;
    }

    private static Plan plan(PlanSetup setup, List<Step> steps, SimulatedRanks ranks, SimRuntime rt,
                             SimulatedForward forward) {
        long t0 = System.nanoTime();
        List<Prediction> predictions = new ArrayList<>();
        List<List<TraceSpan>> spans = new ArrayList<>();
        int devices = ranks.simulated();
        for (Step step : steps) {
            int n = step.parts().getFirst().size();
            // devices that share compute (the host profile) run the step twice: see SimRuntime.rehearseAndRun
            Simulated simulated = rt.rehearseAndRun(() -> {
                long[] before = new long[devices];
                long[] stretchBefore = new long[devices];
                long[] operationsBefore = new long[devices];
                long[] hostBefore = new long[devices];
                for (int d = 0; d < devices; d++) {
                    before[d] = rt.usedBytes(d);
                    stretchBefore[d] = rt.contentionNanos(d);
                    operationsBefore[d] = rt.issuedOperations(d);
                    hostBefore[d] = rt.hostWorkNanos(d);
                }
                // a subset runs the first ranks' parts: under the symmetry it requires, every rank's are the same
                SimulatedForward.Step result = forward.run(step.parts().subList(0, devices),
                        step.ids().subList(0, devices), n > 1);
                long peak = 0;
                long activations = 0;
                long[][] perDevice = new long[3][devices];   // stretch, operations, host work
                for (int d = 0; d < devices; d++) {
                    peak = Math.max(peak, rt.peakBytes(d));
                    // the cached context is resident before the step in a deployment, not allocated by it
                    activations = Math.max(activations, rt.peakBytes(d) - before[d] - result.contextBytes().get(d));
                    perDevice[0][d] = rt.contentionNanos(d) - stretchBefore[d];
                    perDevice[1][d] = rt.issuedOperations(d) - operationsBefore[d];
                    perDevice[2][d] = rt.hostWorkNanos(d) - hostBefore[d];
                }
                return new Simulated(predict(n == 1 ? "sequential" : n == 2 ? "dbo" : "overlap x" + n, n, result,
                        perDevice, peak, activations), result.spans());
            });
            predictions.add(simulated.prediction());
            spans.add(simulated.spans());
        }
        Prediction sequential = predictions.getFirst();
        Prediction best = sequential;
        int bestIndex = 0;
        for (int i = 1; i < predictions.size(); i++) {
            if (predictions.get(i).stepNanos() < best.stepNanos()) {
                best = predictions.get(i);
                bestIndex = i;
            }
        }
        String reason;
        double gain = 1 - (double) best.stepNanos() / sequential.stepNanos();
        if (best == sequential) {
            reason = predictions.size() == 1 ? "sequential: no overlapped schedule was simulated"
                    : String.format(Locale.ROOT, "sequential: no overlapped schedule beat it (best %s at %.2f ms vs %.2f ms)",
                    bestOverlap(predictions).schedule(), bestOverlap(predictions).stepNanos() / 1e6,
                    sequential.stepNanos() / 1e6);
        } else if (gain < MIN_GAIN) {
            reason = String.format(Locale.ROOT, "sequential: %s gains only %.1f%% (< %.0f%%), not worth the risk",
                    best.schedule(), 100 * gain, 100 * MIN_GAIN);
            best = sequential;
            bestIndex = 0;
        } else {
            reason = String.format(Locale.ROOT, "%s with %d token-balanced micro-batches: %.2f ms vs %.2f ms sequential "
                            + "(%.2fx); %.0f%% of communication hidden, compute %.0f%% / communication %.0f%% of the step",
                    best.schedule(), best.microBatches(), best.stepNanos() / 1e6, sequential.stepNanos() / 1e6,
                    (double) sequential.stepNanos() / best.stepNanos(), best.hiddenPercent(), 100 * best.computeShare(),
                    100 * best.commShare());
        }
        double imbalance = setup.routing().rankImbalance(setup.model().nRoutedExperts(), setup.ep());
        return new Plan(setup, predictions, best, reason, imbalance, (System.nanoTime() - t0) / 1_000_000,
                spans.get(bestIndex), ranks);
    }

    /** Host work from this share of the step on: the host, not the device, sets the step's length. */
    static final double HOST_BOUND_SHARE = 0.5;

    /**
     * Why the picked schedule's step is bound by its host, or null when it is not: the host's own work for the
     * critical device (issuing operations, zeroing buffers) takes at least {@link #HOST_BOUND_SHARE} of the step and
     * more than the device computes, so the device idles while it waits for operations, and overlapping its streams
     * hides none of that.
     *
     * @param plan a plan
     * @return one sentence, or null
     */
    public static String hostBound(Plan plan) {
        Prediction p = plan.pick();
        if (p.hostWorkNanos() < HOST_BOUND_SHARE * p.stepNanos() || p.hostWorkNanos() <= p.computeNanos()) {
            return null;
        }
        return String.format(Locale.ROOT, "the %s step is bound by the host: it issues %,d operations per device at "
                        + "%.1f us each, %.1f ms of host work (%.0f%% of the step), while the device computes %.0f%% "
                        + "of it; overlap cannot hide the host's own time", p.schedule(), p.operations(),
                plan.setup().profile().launchMicros(), p.hostWorkNanos() / 1e6,
                100.0 * p.hostWorkNanos() / p.stepNanos(), 100 * p.computeShare());
    }

    /** One simulated step: its prediction and its trace. */
    private record Simulated(Prediction prediction, List<TraceSpan> spans) {
    }

    private static Prediction bestOverlap(List<Prediction> predictions) {
        Prediction best = predictions.get(1);
        for (Prediction p : predictions.subList(1, predictions.size())) {
            if (p.stepNanos() < best.stepNanos()) {
                best = p;
            }
        }
        return best;
    }

    /**
     * The step time is the simulated time; the stretch, operations and host work shown ({@code perDevice}, in that
     * order) are the critical (last to finish) device's.
     */
    private static Prediction predict(String name, int n, SimulatedForward.Step step, long[][] perDevice, long peak,
                                      long activations) {
        OverlapReport report = OverlapReport.of(step.spans());
        OverlapMetrics critical = null;
        for (OverlapMetrics m : report.devices()) {
            if (critical == null || m.wallNanos() > critical.wallNanos()) {
                critical = m;
            }
        }
        int d = critical == null ? 0 : critical.device();
        return new Prediction(name, n, step.wallNanos(), perDevice[0][d], report.meanComputeNanos(),
                report.meanCommNanos(), report.hiddenPercent(), report.meanExposedCommNanos(), report.meanBubbleNanos(),
                peak, activations, perDevice[1][d], perDevice[2][d]);
    }

    /** Whether every rank with tokens can be split into {@code n} non-empty micro-batches. */
    private static boolean splittable(PlanSetup setup, int n) {
        return setup.tokensPerDevice() >= n;
    }

    /** Each rank's micro-batches: parts and request ids. */
    record Step(List<List<List<Part>>> parts, List<List<List<Long>>> ids) {
    }

    /**
     * Places the step's requests (DP: each on the least-loaded rank by tokens, as {@code DecoderRunner} does; TP:
     * every request on every rank) and cuts each rank's tokens into {@code n} token-balanced micro-batches
     * (a prefill may be cut; its second part attends to the first).
     */
    static Step step(PlanSetup setup, int n) {
        int ranks = setup.ep();
        List<List<long[]>> perRank = new ArrayList<>();   // {id, tokens, cached}
        long[] load = new long[ranks];
        for (int r = 0; r < ranks; r++) {
            perRank.add(new ArrayList<>());
        }
        long id = 0;
        List<long[]> requests = new ArrayList<>();
        for (int i = 0; i < setup.prefillCount(); i++) {
            requests.add(new long[] {id++, setup.prefillLength(), 0});
        }
        for (int i = 0; i < setup.decodeBatch(); i++) {
            requests.add(new long[] {id++, 1, setup.decodeContext()});
        }
        for (long[] q : requests) {
            if (setup.attention() == AttentionMode.TP) {
                perRank.forEach(list -> list.add(q));
                continue;
            }
            int home = 0;
            for (int r = 1; r < ranks; r++) {
                if (load[r] < load[home]) {
                    home = r;
                }
            }
            load[home] += q[1];
            perRank.get(home).add(q);
        }
        List<List<List<Part>>> parts = new ArrayList<>();
        List<List<List<Long>>> ids = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            long total = perRank.get(r).stream().mapToLong(q -> q[1]).sum();
            long target = (total + n - 1) / n;
            List<List<Part>> mbs = new ArrayList<>();
            List<List<Long>> mbIds = new ArrayList<>();
            for (int m = 0; m < n; m++) {
                mbs.add(new ArrayList<>());
                mbIds.add(new ArrayList<>());
            }
            int m = 0;
            long filled = 0;
            for (long[] q : perRank.get(r)) {
                long left = q[1];
                long cached = q[2];
                while (left > 0) {
                    long room = m == n - 1 ? left : Math.max(0, target - filled);
                    if (room == 0) {
                        m++;
                        filled = 0;
                        continue;
                    }
                    long take = Math.min(left, room);
                    mbs.get(m).add(new Part(Math.toIntExact(take), Math.toIntExact(cached)));
                    mbIds.get(m).add(q[0]);
                    // a continued prefill's cache is built by its earlier part, not assumed
                    cached = 0;
                    left -= take;
                    filled += take;
                }
            }
            parts.add(mbs);
            ids.add(mbIds);
        }
        return new Step(parts, ids);
    }
}
