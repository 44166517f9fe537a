package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.runtime.LinkEmulation;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeepSeekEngineTest {

    private static List<Request> batch(long firstId, int hidden, int... lengths) {
        SplittableRandom random = new SplittableRandom(11);
        List<Request> requests = new ArrayList<>();
        for (int r = 0; r < lengths.length; r++) {
            float[] h = new float[lengths[r] * hidden];
            for (int i = 0; i < h.length; i++) {
                h[i] = (float) random.nextGaussian();
            }
            int[] p = new int[lengths[r]];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            requests.add(new Request(firstId + r, h, p));
        }
        return requests;
    }

    @Test
    void everyScheduleGivesTheSameHiddenStatesAndAReport() {
        try (DeepSeekEngine engine = DeepSeekEngine.builder().preset("tiny-v3").randomWeights(3).layers(0, 2).ranks(2)
                .link(new LinkEmulation(1, 10)).flopsPerSecond(5e9).mla(dev.tandem.deepseek.model.MlaMode.NAIVE).build()) {
            int d = engine.config().hiddenSize();
            ForwardResult seq = engine.forward(batch(100, d, 12, 7, 9, 4), ScheduleChoice.sequential());
            ForwardResult dbo = engine.forward(batch(200, d, 12, 7, 9, 4), ScheduleChoice.overlapped(2));
            ForwardResult auto = engine.forward(batch(300, d, 12, 7, 9, 4), ScheduleChoice.auto(3));
            assertThat(dbo.overlapped()).isTrue();
            assertThat(dbo.plan().size()).isEqualTo(2);
            assertThat(seq.overlapped()).isFalse();
            assertThat(dbo.hidden()).as(dbo.plan().reason()).containsExactly(seq.hidden());
            assertThat(auto.hidden()).containsExactly(seq.hidden());
            assertThat(auto.decision()).isNotBlank();
            assertThat(dbo.report()).isNotNull();
            assertThat(dbo.report().devices()).hasSize(2);
            assertThat(dbo.report().meanCommNanos()).isPositive();
            assertThat(dbo.wallNanos()).isPositive();
            // decode step on cached requests works through the same API
            List<Request> decodes = new ArrayList<>();
            int[] prompt = {12, 7, 9, 4};
            for (Request q : batch(100, d, 1, 1, 1, 1)) {
                decodes.add(new Request(q.id(), q.hidden(), new int[]{prompt[(int) q.id() - 100]}));
            }
            ForwardResult decode = engine.forward(decodes, ScheduleChoice.overlapped(2));
            assertThat(decode.hidden()).hasSize(4 * d);
            assertThat(engine.cachedTokens(100)).isEqualTo(13);
            engine.release(100);
            assertThat(engine.cachedTokens(100)).isZero();
        }
    }

    @Test
    void equivalenceCheckComparesBitwiseAndLeavesNoCache() {
        try (DeepSeekEngine engine = DeepSeekEngine.builder().preset("tiny-v2lite").randomWeights(5).layers(0, 2).ranks(2)
                .flopsPerSecond(5e9).build()) {
            int d = engine.config().hiddenSize();
            List<Request> fresh = batch(1, d, 10, 6, 5);
            EquivalenceReport report = engine.checkEquivalence(fresh, 2);
            assertThat(report.bitwiseIdentical()).as(report.toString()).isTrue();
            assertThat(report.elements()).isEqualTo(21 * d);
            assertThat(engine.cachedTokens(1)).isZero();
            engine.forward(fresh, ScheduleChoice.sequential());
            assertThatThrownBy(() -> engine.checkEquivalence(fresh, 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cached tokens");
        }
    }

    @Test
    void autoOverlapsOnlyWhenCommunicationIsWorthHiding() {
        try (DeepSeekEngine fast = DeepSeekEngine.builder().preset("tiny-v3").randomWeights(3).layers(1, 2).ranks(2)
                .link(new LinkEmulation(10_000, 0)).flopsPerSecond(5e9).build()) {
            ForwardResult r = fast.forward(batch(1, fast.config().hiddenSize(), 32, 32), ScheduleChoice.auto(2));
            assertThat(r.overlapped()).isFalse();
            assertThat(r.decision()).startsWith("sequential");
        }
        try (DeepSeekEngine slow = DeepSeekEngine.builder().preset("tiny-v3").randomWeights(3).layers(1, 2).ranks(2)
                .link(new LinkEmulation(0.05, 50)).flopsPerSecond(5e9).build()) {
            ForwardResult r = slow.forward(batch(1, slow.config().hiddenSize(), 32, 32), ScheduleChoice.auto(2));
            assertThat(r.overlapped()).isTrue();
            assertThat(r.decision()).startsWith("overlap 2 micro-batches");
        }
        assertThatThrownBy(() -> ScheduleChoice.parse("fast", 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
