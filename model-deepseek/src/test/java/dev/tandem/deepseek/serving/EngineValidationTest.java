package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.LeakCheck;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.tandem.deepseek.serving.EngineFixtures.hidden;
import static dev.tandem.deepseek.serving.EngineFixtures.positions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the engine rejects on submit, and that rejection touches nothing. */
class EngineValidationTest extends LeakCheck {

    @Test
    void badStepsAreRejectedOnSubmitWithANamedException() {
        try (DeepSeekEngine engine = EngineFixtures.engine().checkFinite(true).build()) {
            int d = engine.config().hiddenSize();
            int max = engine.config().maxPositionEmbeddings();
            // wrong length: neither padded nor truncated, on either path
            assertThatThrownBy(() -> engine.submit(1, new float[3 * d - 1], positions(0, 3)))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("expected 3 tokens x " + d);
            assertThatThrownBy(() -> engine.forward(List.of(new Request(1, new float[3 * d + 5], positions(0, 3))),
                    ScheduleChoice.sequential())).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> engine.submit(1, new float[0], new int[0])).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("at least one token");
            assertThatThrownBy(() -> engine.submit(1, hidden(1, 2, d), new int[]{-1, 0}))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("negative");
            assertThatThrownBy(() -> engine.submit(1, hidden(1, 3, d), new int[]{0, 2, 3}))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("consecutive");
            assertThatThrownBy(() -> engine.submit(1, hidden(1, 2, d), new int[]{0, 0}))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("consecutive");
            assertThatThrownBy(() -> engine.submit(1, hidden(1, 2, d), new int[]{1, 0}))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("consecutive");
            assertThatThrownBy(() -> engine.submit(1, hidden(1, 1, d), new int[]{max}))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("max_position_embeddings");
            assertThatThrownBy(() -> engine.submit(1, hidden(1, 1, d), new int[]{5}))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("unknown request id");
            float[] nan = hidden(1, 2, d);
            nan[d + 3] = Float.NaN;
            assertThatThrownBy(() -> engine.submit(1, nan, positions(0, 2)))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("hidden[1][3] is NaN");

            // nothing above was admitted: request 1 is still new, and runs
            StepResult first = engine.submit(1, hidden(1, 4, d), positions(0, 4)).join();
            assertThat(first.hidden()).hasSize(4 * d);
            assertThat(engine.cachedTokens(1)).isEqualTo(4);
            // a reused id restarting at 0 would silently attend to the stale cache: rejected
            assertThatThrownBy(() -> engine.submit(1, hidden(2, 2, d), positions(0, 2)))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("must start at position 4")
                    .hasMessageContaining("release");
            assertThatThrownBy(() -> engine.forward(List.of(new Request(1, hidden(2, 1, d), new int[]{7})),
                    ScheduleChoice.sequential())).isInstanceOf(InvalidRequestException.class);
            engine.release(1);
            assertThat(engine.cachedTokens(1)).isZero();
            assertThat(engine.submit(1, hidden(2, 2, d), positions(0, 2)).join().hidden()).hasSize(2 * d);
        }
    }

    @Test
    void afterCloseEveryCallThrowsIllegalState() {
        DeepSeekEngine engine = EngineFixtures.engine().build();
        int d = engine.config().hiddenSize();
        engine.forward(List.of(new Request(1, hidden(1, 2, d), positions(0, 2))), ScheduleChoice.sequential());
        engine.close();
        engine.close();   // idempotent
        assertThatThrownBy(() -> engine.forward(List.of(new Request(2, hidden(1, 2, d), positions(0, 2))),
                ScheduleChoice.sequential())).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> engine.submit(2, hidden(1, 2, d), positions(0, 2)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> engine.release(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.cachedTokens(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(engine::runtime).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(engine::cacheBytes).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.checkEquivalence(List.of(), 2)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingFailsWaitingStepsAndTheReportIsNeverNull() {
        DeepSeekEngine engine = EngineFixtures.engine().tracing(false).build();
        int d = engine.config().hiddenSize();
        ForwardResult r = engine.forward(List.of(new Request(1, hidden(1, 2, d), positions(0, 2))), ScheduleChoice.sequential());
        assertThat(r.report()).isNotNull();
        assertThat(r.report().devices()).isEmpty();
        assertThat(r.report().describe()).contains("tracing was off");
        CompletableFuture<StepResult> late = engine.submit(9, hidden(3, 4, d), positions(0, 4), Duration.ofMinutes(1));
        engine.close();
        assertThat(late).isDone();   // completed or failed with "closed", never left hanging
        if (late.isCompletedExceptionally()) {
            assertThatThrownBy(late::join).hasMessageContaining("closed");
        }
    }

    @Test
    void aRequestThatAloneExceedsTheKvBudgetFailsOnSubmit() {
        try (DeepSeekEngine engine = EngineFixtures.engine().kvCacheBudget(64 * 1024, true).build()) {
            int d = engine.config().hiddenSize();
            assertThatThrownBy(() -> engine.submit(1, hidden(1, 200, d), positions(0, 200)))
                    .isInstanceOf(KvCacheFullException.class).hasMessageContaining("bytes of KV cache");
            assertThat(engine.submit(2, hidden(1, 4, d), positions(0, 4)).join().hidden()).hasSize(4 * d);
        }
    }

    @Test
    void whenTheKvBudgetIsFullStepsWaitForRoomOrFailFast() throws Exception {
        var c = dev.tandem.deepseek.config.DeepSeekConfig.preset("tiny-v2lite");
        long perToken = 2L * (c.kvLoraRank() + c.qkRopeHeadDim()) * Float.BYTES;   // two layers
        try (DeepSeekEngine engine = EngineFixtures.engine().ranks(1).kvCacheBudget(150 * perToken, false).build()) {
            int d = engine.config().hiddenSize();
            engine.submit(1, hidden(1, 100, d), positions(0, 100)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            CompletableFuture<StepResult> second = engine.submit(2, hidden(2, 100, d), positions(0, 100));
            Thread.sleep(300);
            assertThat(second).as("waits for room").isNotDone();
            engine.release(1);
            assertThat(second.get(30, java.util.concurrent.TimeUnit.SECONDS).hidden()).hasSize(100 * d);
        }
        try (DeepSeekEngine engine = EngineFixtures.engine().ranks(1).kvCacheBudget(150 * perToken, true).build()) {
            int d = engine.config().hiddenSize();
            engine.submit(1, hidden(1, 60, d), positions(0, 60)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            CompletableFuture<StepResult> second = engine.submit(2, hidden(2, 100, d), positions(0, 100));
            assertThatThrownBy(() -> second.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(KvCacheFullException.class).hasMessageContaining("other requests");
            // request 1 grows (doubling: 60 -> 120 rows) within the budget and goes on
            assertThat(engine.submit(1, hidden(3, 1, d), positions(60, 1)).get(30, java.util.concurrent.TimeUnit.SECONDS)
                    .hidden()).hasSize(d);
        }
    }

    @Test
    void aRequestThatOutgrowsTheKvBudgetAloneFailsInsteadOfWaitingForever() throws Exception {
        var c = dev.tandem.deepseek.config.DeepSeekConfig.preset("tiny-v2lite");
        long perToken = 2L * (c.kvLoraRank() + c.qkRopeHeadDim()) * Float.BYTES;
        try (DeepSeekEngine engine = EngineFixtures.engine().ranks(1).kvCacheBudget(150 * perToken, false).build()) {
            int d = engine.config().hiddenSize();
            engine.submit(1, hidden(1, 80, d), positions(0, 80)).get(30, java.util.concurrent.TimeUnit.SECONDS);
            // 140 tokens fit the budget, but the cache grows by doubling to 160 rows: it can never fit
            CompletableFuture<StepResult> more = engine.submit(1, hidden(2, 60, d), positions(80, 60));
            assertThatThrownBy(() -> more.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(KvCacheFullException.class).hasMessageContaining("no other request");
            assertThat(engine.cachedTokens(1)).isZero();   // the request ended
        }
    }
}
