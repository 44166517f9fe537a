package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.MlaMode;
import dev.tandem.deepseek.plan.PlannedScheduleAdvisor.BatchShape;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.deepseek.serving.ForwardResult;
import dev.tandem.deepseek.serving.ScheduleChoice;
import dev.tandem.deepseek.serving.StepResult;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.sim.HardwareProfile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link DeepSeekEngine} deciding {@code auto} with a {@link PlannedScheduleAdvisor}: tiny-v3's two MoE layers on
 * 2 host ranks, planned against a deployment where the planner clearly picks DBO (a slow link: communication
 * comparable to compute) and one where it clearly picks sequential (H800: a fast link, so doubling the collectives
 * of such small layers costs more than it hides).
 */
class PlannedEngineScheduleTest {
    private static final DeepSeekConfig TINY = DeepSeekConfig.preset("tiny-v3");
    /** A CPU-class device behind a 0.1 GB/s link: the planner predicts DBO 1.4-1.6x faster for 4x64 prefills. */
    private static final HardwareProfile SLOW_LINK = new HardwareProfile("slow-link", "test: 50 GFLOPS, 0.1 GB/s link",
            Map.of("bf16", 0.05, "f32", 0.05), 1.0, 16, 10, 1.0, 16, 0.1, 20, 0.1, 20, Map.of(), 1, 0, 4, 2);

    private static PlannedScheduleAdvisor advisor(HardwareProfile profile) {
        return new PlannedScheduleAdvisor(PlanSetup.engine(TINY, 1, 3, 2, AttentionMode.DP, profile));
    }

    private static DeepSeekEngine.Builder engine(PlannedScheduleAdvisor advisor) {
        return DeepSeekEngine.builder().preset("tiny-v3").randomWeights(3).layers(1, 3).ranks(2).mla(MlaMode.NAIVE)
                .link(new LinkEmulation(5, 5)).flopsPerSecond(5e9).scheduleAdvisor(advisor);
    }

    /** Prefills of the given lengths, ids from {@code firstId}, seeded by length and index (not by id). */
    private static List<Request> prefills(long firstId, int d, int... lengths) {
        List<Request> out = new ArrayList<>();
        for (int r = 0; r < lengths.length; r++) {
            SplittableRandom random = new SplittableRandom(31L * r + lengths[r]);
            float[] h = new float[lengths[r] * d];
            for (int i = 0; i < h.length; i++) {
                h[i] = (float) random.nextGaussian();
            }
            int[] p = new int[lengths[r]];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            out.add(new Request(firstId + r, h, p));
        }
        return out;
    }

    @Test
    void autoStepsOverlapAsThePlannerAdvisesAndEqualSequentialBitwise() {
        PlannedScheduleAdvisor advisor = advisor(SLOW_LINK);
        PlannedScheduleAdvisor.PlannedAdvice expected = advisor.advise(new BatchShape(4, 64, 0, 0), 2);
        assertThat(expected.overlap()).as(expected.reason()).isTrue();
        assertThat(expected.speedup()).isGreaterThan(1.2);
        assertThat(advisor.simulations()).isEqualTo(1);
        try (DeepSeekEngine engine = engine(advisor).build()) {
            int d = engine.config().hiddenSize();
            ForwardResult seq = engine.forward(prefills(100, d, 60, 64, 70, 64), ScheduleChoice.sequential());
            ForwardResult auto = engine.forward(prefills(200, d, 60, 64, 70, 64), ScheduleChoice.auto(2));
            assertThat(auto.overlapped()).as(auto.decision()).isTrue();
            assertThat(auto.plan().size()).isEqualTo(expected.microBatches());
            assertThat(auto.decision()).startsWith("capacity planner for prefill 4x64 + decode 0x0 (bucket of prefill 4x65")
                    .contains("on 2 x slow-link, cached: ").endsWith(expected.reason());
            assertThat(auto.hidden()).containsExactly(seq.hidden());
            // a decode step of the same requests: a new bucket, simulated by this step
            List<Request> decodes = new ArrayList<>();
            int[] lengths = {60, 64, 70, 64};
            for (int r = 0; r < 4; r++) {
                decodes.add(new Request(200 + r, prefills(0, d, 1).getFirst().hidden(), new int[]{lengths[r]}));
            }
            ForwardResult decode = engine.forward(decodes, ScheduleChoice.auto(2));
            assertThat(decode.decision()).startsWith("capacity planner for prefill 0x0 + decode 4x64 (bucket of "
                    + "prefill 0x0 + decode 4x65)").contains("simulated in ");
            assertThat(advisor.simulations()).isEqualTo(2);
        }
    }

    @Test
    void autoStepsRunSequentiallyWhereThePlannerSaysSo() {
        PlannedScheduleAdvisor advisor = advisor(HardwareProfile.load("h800"));
        try (DeepSeekEngine engine = engine(advisor).build()) {
            int d = engine.config().hiddenSize();
            ForwardResult first = engine.forward(prefills(1, d, 64, 64, 64, 64), ScheduleChoice.auto(2));
            ForwardResult second = engine.forward(prefills(11, d, 50, 64, 64, 80), ScheduleChoice.auto(2));
            PlannedScheduleAdvisor.PlannedAdvice expected = advisor.advise(new BatchShape(4, 64, 0, 0), 2);
            assertThat(expected.overlap()).isFalse();
            assertThat(expected.reason()).startsWith("sequential: no overlapped schedule beat it");
            for (ForwardResult r : List.of(first, second)) {
                assertThat(r.overlapped()).isFalse();
                assertThat(r.plan().size()).isEqualTo(1);
                assertThat(r.decision()).contains("capacity planner for prefill 4x64 + decode 0x0", "on 2 x h800")
                        .endsWith(expected.reason());
            }
            assertThat(first.decision()).contains("simulated in ");
            assertThat(second.decision()).contains(", cached: ");
            assertThat(advisor.simulations()).isEqualTo(1);
            assertThat(second.hidden()).containsExactly(engine.forward(prefills(21, d, 50, 64, 64, 80),
                    ScheduleChoice.sequential()).hidden());
        }
    }

    @Test
    void submittedStepsAreScheduledByTheAdvisorToo() {
        PlannedScheduleAdvisor advisor = advisor(SLOW_LINK);
        assertThat(advisor.warm(List.of(new BatchShape(2, 64, 0, 0), new BatchShape(2, 60, 0, 0),
                new BatchShape(1, 64, 0, 0)), 2)).isEqualTo(2);
        assertThat(advisor.warm(List.of(new BatchShape(2, 70, 0, 0)), 2)).isZero();
        List<String> decisions = java.util.Collections.synchronizedList(new ArrayList<>());
        try (DeepSeekEngine engine = engine(advisor).listener(new dev.tandem.deepseek.serving.EngineListener() {
            @Override
            public void onStep(dev.tandem.deepseek.serving.StepMetrics step) {
                decisions.add(step.decision());
            }
        }).build()) {
            int d = engine.config().hiddenSize();
            List<Request> two = prefills(1, d, 64, 64);
            StepResult a = engine.submit(1, two.get(0).hidden(), two.get(0).positions()).join();
            assertThat(a.hidden()).containsExactly(engine.forward(prefills(5, d, 64), ScheduleChoice.sequential())
                    .hidden());
        }
        assertThat(decisions).isNotEmpty();
        assertThat(decisions.getFirst()).startsWith("capacity planner for prefill 1x64 + decode 0x0").contains(", cached: ");
        assertThat(advisor.simulations()).isEqualTo(2);
    }

    @Test
    void oneAdvisorServesConcurrentStepsOfSeveralEnginesSimulatingEachShapeOnce() throws Exception {
        PlannedScheduleAdvisor advisor = advisor(SLOW_LINK);
        try (DeepSeekEngine e1 = engine(advisor).build(); DeepSeekEngine e2 = engine(advisor).build()) {
            int d = e1.config().hiddenSize();
            List<float[]> oracle = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                oracle.add(e1.forward(prefills(1000 + 10L * t, d, 30 + t, 34), ScheduleChoice.sequential()).hidden());
            }
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<ForwardResult>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                DeepSeekEngine engine = t % 2 == 0 ? e1 : e2;
                long id = 2000 + 10L * t;
                int extra = t;
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return engine.forward(prefills(id, d, 30 + extra, 34), ScheduleChoice.auto(2));
                }, r -> Thread.ofPlatform().start(r)));
            }
            start.countDown();
            for (int t = 0; t < 4; t++) {
                ForwardResult r = runs.get(t).join();
                assertThat(r.decision()).startsWith("capacity planner for prefill 2x32 + decode 0x0");
                assertThat(r.hidden()).containsExactly(oracle.get(t));
            }
        }
        assertThat(advisor.simulations()).isEqualTo(1);
    }

    @Test
    void concurrentAdviceOnTheSameShapesSimulatesEachOnce() throws Exception {
        PlannedScheduleAdvisor advisor = advisor(SLOW_LINK);
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<List<dev.tandem.deepseek.serving.StepScheduleAdvisor.Advice>>> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            all.add(CompletableFuture.supplyAsync(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                List<dev.tandem.deepseek.serving.StepScheduleAdvisor.Advice> out = new ArrayList<>();
                for (int len : new int[]{60 + seed, 16, 120}) {
                    out.add(advisor.advise(List.of(new dev.tandem.runtime.schedule.RequestShape(len, 0),
                            new dev.tandem.runtime.schedule.RequestShape(len, 0)), 2));
                }
                return out;
            }, r -> Thread.ofPlatform().start(r)));
        }
        start.countDown();
        List<List<dev.tandem.deepseek.serving.StepScheduleAdvisor.Advice>> results = new ArrayList<>();
        for (var f : all) {
            results.add(f.join());
        }
        assertThat(advisor.simulations()).isEqualTo(3);    // buckets 2x64, 2x16, 2x128
        for (var r : results) {
            for (int i = 0; i < 3; i++) {
                assertThat(r.get(i).microBatches()).isEqualTo(results.getFirst().get(i).microBatches());
                assertThat(r.get(i).microBatches()).isBetween(1, 2);
            }
        }
    }

    @Test
    void theAdviceStaysWithinTheChoicesMaximum() {
        PlannedScheduleAdvisor advisor = advisor(SLOW_LINK);
        var one = advisor.advise(List.of(new dev.tandem.runtime.schedule.RequestShape(64, 0)), 1);
        assertThat(one.microBatches()).isEqualTo(1);
        assertThat(advisor.simulations()).isZero();
        for (int max : new int[]{2, 3, 6}) {
            var a = advisor.advise(List.of(new dev.tandem.runtime.schedule.RequestShape(256, 0),
                    new dev.tandem.runtime.schedule.RequestShape(256, 0)), max);
            assertThat(a.microBatches()).as(a.reason()).isBetween(2, Math.min(max, PlannedScheduleAdvisor.MAX_MICRO_BATCHES));
        }
        try (DeepSeekEngine engine = engine(advisor).build()) {
            ForwardResult r = engine.forward(prefills(1, engine.config().hiddenSize(), 64, 64, 64), ScheduleChoice.auto(1));
            assertThat(r.overlapped()).isFalse();
            assertThat(r.decision()).contains("auto(1) allows one micro-batch");
        }
    }

    @Test
    void aFailedSimulationRunsTheStepSequentiallyAndIsTriedAgainNextStep() {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        PlannedScheduleAdvisor advisor = new PlannedScheduleAdvisor(PlanSetup.engine(TINY, 1, 3, 2, AttentionMode.DP,
                SLOW_LINK), setups -> {
            if (calls.getAndIncrement() == 0) {
                throw new IllegalStateException("simulated machine lost");
            }
            return CapacityPlanner.plan(setups, true);
        });
        try (DeepSeekEngine engine = engine(advisor).build()) {
            int d = engine.config().hiddenSize();
            ForwardResult failed = engine.forward(prefills(1, d, 64, 64), ScheduleChoice.auto(2));
            assertThat(failed.overlapped()).isFalse();
            assertThat(failed.decision()).startsWith("sequential: the schedule advisor failed")
                    .contains("simulated machine lost");
            assertThat(advisor.simulations()).isZero();
            ForwardResult next = engine.forward(prefills(11, d, 64, 64), ScheduleChoice.auto(2));
            assertThat(next.decision()).startsWith("capacity planner for prefill 2x64 + decode 0x0 on 2 x slow-link, "
                    + "simulated in ");
            assertThat(next.overlapped()).isTrue();
            assertThat(next.hidden()).containsExactly(failed.hidden());
        }
        assertThat(calls).hasValue(2);
        assertThat(advisor.simulations()).isEqualTo(1);
    }
}
