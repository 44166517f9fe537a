package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static dev.tandem.deepseek.model.KvCacheTest.range;
import static dev.tandem.deepseek.model.KvCacheTest.rows;
import static dev.tandem.deepseek.model.ModelTestSupport.randomHidden;
import static dev.tandem.deepseek.model.ModelTestSupport.relErr;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A decode step of many requests attends as one batch (one {@code decodeAttention} and one {@code copyEach} of
 * the new keys per layer and micro-batch, not six operations per request) and gives what decoding each request in a
 * step of its own gives, where every attention is the per-request one.
 */
class DecodeBatchTest extends LeakCheck {
    private static final int LAYERS = 2;

    private static TandemRuntime host(int devices) {
        return TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(devices)
                .withComputeThreads(2).withTracing(true));
    }

    @ParameterizedTest(name = "{0} rank(s), {1} attention")
    @CsvSource({"1, DP", "2, TP"})
    void aDecodeStepOfManyRequestsIsOneBatchAndMatchesEachRequestAlone(int ranks, AttentionMode mode) {
        DeepSeekConfig c = DeepSeekConfig.preset("tiny-v3");
        int d = c.hiddenSize();
        int[] prompts = {5, 1, 9, 3, 7};
        int requests = prompts.length;
        float[] next = randomHidden(requests, d, 62);
        DecoderRunner.Options o = DecoderRunner.Options.defaults(ranks).withAttention(mode).withMla(MlaMode.ABSORBED);
        float[] alone = new float[requests * d];
        float[] batched;
        try (TandemRuntime rt = host(ranks);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, LAYERS, o)) {
            prefill(r, prompts, d);
            for (int i = 0; i < requests; i++) {
                float[] y = r.forward(List.of(decode(i, next, prompts, d)));
                System.arraycopy(y, 0, alone, i * d, d);
            }
        }
        try (TandemRuntime rt = host(ranks);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, LAYERS, o)) {
            prefill(r, prompts, d);
            rt.tracer().clear();
            List<DecoderRunner.Request> step = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                step.add(decode(i, next, prompts, d));
            }
            batched = r.forward(step);
            List<TraceSpan> spans = rt.tracer().spans();
            // under TP every rank attends for every request (its heads); under DP the one rank does
            assertThat(count(spans, "decodeAttention")).isEqualTo(LAYERS * ranks);
            assertThat(count(spans, "copyEach")).isEqualTo(LAYERS * ranks);
            assertThat(count(spans, "attention")).isZero();
            for (int i = 0; i < requests; i++) {
                assertThat(r.cachedTokens(i)).isEqualTo(prompts[i] + 1);
            }
        }
        assertThat(relErr(batched, alone)).as("batched decode vs each request alone").isLessThan(1e-5);
    }

    private static void prefill(DecoderRunner r, int[] prompts, int d) {
        for (int i = 0; i < prompts.length; i++) {
            r.forward(List.of(new DecoderRunner.Request(i, randomHidden(prompts[i], d, 70 + i), range(0, prompts[i]))));
        }
    }

    private static DecoderRunner.Request decode(int i, float[] next, int[] prompts, int d) {
        return new DecoderRunner.Request(i, rows(next, d, i, i + 1), range(prompts[i], prompts[i] + 1));
    }

    private static long count(List<TraceSpan> spans, String name) {
        return spans.stream().filter(s -> s.name().equals(name)).count();
    }
}
