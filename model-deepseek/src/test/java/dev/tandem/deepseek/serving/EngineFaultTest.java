package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.LeakCheck;
import dev.tandem.deepseek.serving.EngineFixtures.Step;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.tandem.deepseek.serving.EngineFixtures.hidden;
import static dev.tandem.deepseek.serving.EngineFixtures.positions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad requests among good ones: a prompt that fails inside its engine step (out of device memory on one rank), NaN
 * values and wrong shapes (rejected on submit), cancelled and timed-out steps. Every good request must succeed with exactly its serial output, no engine step
 * may take more than a few seconds (the collective timeout is a minute), and nothing may leak.
 */
class EngineFaultTest extends LeakCheck {
    private static final long FEW_SECONDS = TimeUnit.SECONDS.toNanos(5);

    @Test
    void badRequestsFailAloneAndGoodOnesMatchSerialExecution() throws Exception {
        List<StepMetrics> steps = new CopyOnWriteArrayList<>();
        EngineListener listener = new EngineListener() {
            @Override
            public void onStep(StepMetrics step) {
                steps.add(step);
            }
        };
        List<List<Step>> good = new ArrayList<>();
        int d;
        List<CompletableFuture<StepResult>> goodFutures = new ArrayList<>();
        // a device small enough that one huge prompt fails inside its engine step (out of memory on one rank)
        try (DeepSeekEngine engine = EngineFixtures.engine().collectiveTimeout(Duration.ofMinutes(1)).listener(listener)
                .deviceMemory(24L << 20).build()) {
            d = engine.config().hiddenSize();
            for (int round = 0; round < 2; round++) {
                List<CompletableFuture<StepResult>> bad = new ArrayList<>();
                // good prefills and a failing prefill submitted together so that they share engine steps
                for (int i = 0; i < 4; i++) {
                    long id = round * 100 + i;
                    Step s = new Step(id, 0, hidden(id, 3 + i, d));
                    good.add(new ArrayList<>(List.of(s)));
                    goodFutures.add(engine.submit(id, s.hidden(), positions(0, s.tokens(d))));
                    if (i == 1) {
                        bad.add(engine.submit(round * 100 + 50, hidden(999, 6000, d), positions(0, 6000)));
                        float[] poisoned = hidden(998, 5, d);
                        poisoned[2 * d + 7] = Float.NaN;
                        long nanId = round * 100 + 54;
                        assertThatThrownBy(() -> engine.submit(nanId, poisoned, positions(0, 5)))
                                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("NaN");
                        bad.add(engine.submit(round * 100 + 51, hidden(1, 4, d), positions(0, 4), Duration.ofNanos(1)));
                        CompletableFuture<StepResult> cancelled = engine.submit(round * 100 + 52, hidden(2, 6, d),
                                positions(0, 6));
                        cancelled.cancel(true);
                        bad.add(cancelled);
                        long badId = round * 100 + 53;
                        assertThatThrownBy(() -> engine.submit(badId, new float[2 * d + 1], positions(0, 2)))
                                .isInstanceOf(InvalidRequestException.class);
                    }
                }
                // decode steps of the good requests, queued behind their prefills
                for (int i = 0; i < 4; i++) {
                    List<Step> mine = good.get(round * 4 + i);
                    long id = round * 100 + i;
                    Step s = new Step(id, 3 + i, hidden(id + 7, 1, d));
                    mine.add(s);
                    goodFutures.add(engine.submit(id, s.hidden(), positions(s.from(), 1)));
                }
                // the request's own failure, not a peer's abort or a collective timeout
                assertThatThrownBy(() -> bad.get(0).get(30, TimeUnit.SECONDS))
                        .satisfies(e -> assertThat(e.getCause()).isNotInstanceOf(dev.tandem.runtime.CollectiveException.class))
                        .rootCause().isInstanceOf(dev.tandem.runtime.DeviceOutOfMemoryException.class);
                assertThatThrownBy(() -> bad.get(1).join()).isInstanceOf(CompletionException.class)
                        .hasCauseInstanceOf(StepDeadlineException.class);
                assertThatThrownBy(() -> bad.get(2).join()).isInstanceOf(CancellationException.class);
            }
            List<float[]> served = new ArrayList<>();
            // futures are in submit order: round r's 4 prefills then its 4 decodes
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 4; i++) {
                    served.add(goodFutures.get(round * 8 + i).get(30, TimeUnit.SECONDS).hidden());
                    served.add(goodFutures.get(round * 8 + 4 + i).get(30, TimeUnit.SECONDS).hidden());
                }
            }
            List<float[]> expected = EngineFixtures.serial(good);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(served.get(i)).as("good step %d", i).containsExactly(expected.get(i));
            }
            // a failed request's caches are gone, and so are the released ones'
            assertThat(engine.cachedTokens(50)).isZero();
            for (List<Step> request : good) {
                engine.release(request.getFirst().id());
            }
            assertThat(engine.cacheBytes()).containsOnly(0L);
            // the engine keeps serving
            assertThat(engine.submit(7, hidden(7, 2, d), positions(0, 2)).get(30, TimeUnit.SECONDS).hidden()).hasSize(2 * d);
            assertThat(engine.queuedSteps()).isZero();
        }
        assertThat(steps).anyMatch(StepMetrics::failed);
        assertThat(steps).allSatisfy(s -> assertThat(s.wallNanos()).isLessThan(FEW_SECONDS));
    }

    @Test
    void aFailedForwardLeavesCachesAsTheyWereAndTheEngineServing() {
        try (DeepSeekEngine engine = EngineFixtures.engine().deviceMemory(24L << 20).build()) {
            int d = engine.config().hiddenSize();
            engine.forward(List.of(new Request(1, hidden(1, 6, d), positions(0, 6)),
                    new Request(2, hidden(2, 4, d), positions(0, 4))), ScheduleChoice.overlapped(2));
            long start = System.nanoTime();
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> engine.forward(List.of(
                    new Request(1, hidden(4, 1, d), new int[]{6}), new Request(2, hidden(3, 2, d), positions(4, 2)),
                    new Request(3, hidden(5, 6000, d), positions(0, 6000))), ScheduleChoice.overlapped(2)));
            assertThat(System.nanoTime() - start).isLessThan(FEW_SECONDS);
            // the root cause, not a collective timeout nor an abort seen by a peer
            assertThat(failure).isNotNull().isInstanceOf(dev.tandem.runtime.DeviceOutOfMemoryException.class);
            assertThat(failure.getSuppressed()).isEmpty();
            assertThat(engine.cachedTokens(1)).isEqualTo(6);
            assertThat(engine.cachedTokens(2)).isEqualTo(4);
            assertThat(engine.cachedTokens(3)).isZero();
            // the same steps without the huge one now run, continuing the untouched caches
            float[] again = engine.forward(List.of(new Request(1, hidden(4, 1, d), new int[]{6})),
                    ScheduleChoice.overlapped(2)).hidden();
            assertThat(again).hasSize(d);
            assertThat(engine.cachedTokens(1)).isEqualTo(7);
        }
    }

    @Test
    void anOutOfMemoryStepLeavesCachesAsTheyWereAndOtherRequestsServed() throws Exception {
        try (DeepSeekEngine engine = EngineFixtures.engine().deviceMemory(24L << 20).build()) {
            int d = engine.config().hiddenSize();
            engine.submit(1, hidden(1, 8, d), positions(0, 8)).get(30, TimeUnit.SECONDS);
            long[] before = engine.cacheBytes();
            // far more activation memory than the device has, submitted together with a good decode step
            CompletableFuture<StepResult> huge = engine.submit(2, hidden(2, 6000, d), positions(0, 6000));
            CompletableFuture<StepResult> decode = engine.submit(1, hidden(3, 1, d), positions(8, 1));
            assertThatThrownBy(() -> huge.get(60, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(dev.tandem.runtime.DeviceOutOfMemoryException.class);
            assertThat(decode.get(60, TimeUnit.SECONDS).hidden()).hasSize(d);
            assertThat(engine.cachedTokens(1)).isEqualTo(9);
            assertThat(engine.cachedTokens(2)).isZero();
            assertThat(engine.cacheBytes()[0] + engine.cacheBytes()[1]).isLessThanOrEqualTo(before[0] + before[1] + (1 << 16));
        }
    }
}
