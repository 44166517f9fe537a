package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.tandem.deepseek.model.ModelTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Prefill N then decode k one by one equals prefill N+k; a batch may mix prefill and decode. */
class KvCacheTest extends LeakCheck {

    static float[] rows(float[] x, int d, int from, int to) {
        return Arrays.copyOfRange(x, from * d, to * d);
    }

    static int[] range(int from, int to) {
        int[] p = new int[to - from];
        for (int i = 0; i < p.length; i++) {
            p[i] = from + i;
        }
        return p;
    }

    @ParameterizedTest(name = "{0}, {1} rank(s), {2} attention")
    @CsvSource({"tiny-v3, 1, DP", "tiny-v3, 2, DP", "tiny-v3, 2, TP", "tiny-v2lite, 2, DP"})
    void prefillThenDecodeEqualsFullPrefill(String preset, int ranks, AttentionMode mode) {
        DeepSeekConfig c = DeepSeekConfig.preset(preset);
        int d = c.hiddenSize();
        int n = 6;
        int k = 3;
        float[] a = randomHidden(n + k, d, 21);
        float[] b = randomHidden(4, d, 22);
        DecoderRunner.Options o = DecoderRunner.Options.defaults(ranks).withAttention(mode);
        float[] full;
        float[] fullB;
        try (TandemRuntime rt = host(ranks);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, 2, o)) {
            full = r.forward(List.of(new DecoderRunner.Request(1, a, range(0, n + k))));
            fullB = r.forward(List.of(new DecoderRunner.Request(2, b, range(0, 4))));
        }
        try (TandemRuntime rt = host(ranks);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, 2, o)) {
            float[] out = new float[(n + k) * d];
            System.arraycopy(r.forward(List.of(new DecoderRunner.Request(1, rows(a, d, 0, n), range(0, n)))), 0, out, 0, n * d);
            // first decode step shares the batch with request 2's whole prefill
            float[] mixed = r.forward(List.of(new DecoderRunner.Request(1, rows(a, d, n, n + 1), range(n, n + 1)),
                    new DecoderRunner.Request(2, b, range(0, 4))));
            System.arraycopy(mixed, 0, out, n * d, d);
            assertThat(relErr(Arrays.copyOfRange(mixed, d, 5 * d), fullB)).as("prefill mixed with a decode").isLessThan(1e-6);
            for (int step = n + 1; step < n + k; step++) {
                float[] y = r.forward(List.of(new DecoderRunner.Request(1, rows(a, d, step, step + 1), range(step, step + 1))));
                System.arraycopy(y, 0, out, step * d, d);
            }
            assertThat(r.cachedTokens(1)).isEqualTo(n + k);
            assertThat(relErr(out, full)).as("prefill+decode vs prefill").isLessThan(1e-5);
            r.release(1);
            assertThat(r.cachedTokens(1)).isZero();
        }
    }

    @ParameterizedTest(name = "split at {0}, {1}")
    @CsvSource({"1, SEQUENTIAL", "4, SEQUENTIAL", "6, SEQUENTIAL", "4, OVERLAPPED", "1, OVERLAPPED"})
    void prefillSplitAcrossMicroBatchesAttendsToTheFirstPart(int split, DecoderRunner.Scheduling scheduling) {
        DeepSeekConfig c = DeepSeekConfig.preset("tiny-v3");
        int d = c.hiddenSize();
        float[] a = randomHidden(7, d, 31);
        float[] b = randomHidden(3, d, 32);
        float[] whole;
        try (TandemRuntime rt = host(2);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, 2, DecoderRunner.Options.defaults(2))) {
            whole = r.forward(List.of(new DecoderRunner.Request(1, a, range(0, 7)), new DecoderRunner.Request(2, b, range(0, 3))));
        }
        try (TandemRuntime rt = host(2);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, 2,
                     DecoderRunner.Options.defaults(2).withScheduling(scheduling))) {
            List<DecoderRunner.Request> reqs = new ArrayList<>();
            reqs.add(new DecoderRunner.Request(1, rows(a, d, 0, split), range(0, split), 0));
            reqs.add(new DecoderRunner.Request(2, b, range(0, 3), 0));
            reqs.add(new DecoderRunner.Request(1, rows(a, d, split, 7), range(split, 7), 1));
            float[] got = r.forward(reqs);
            float[] reordered = new float[10 * d];
            System.arraycopy(got, 0, reordered, 0, split * d);
            System.arraycopy(got, (split + 3) * d, reordered, split * d, (7 - split) * d);
            System.arraycopy(got, split * d, reordered, 7 * d, 3 * d);
            assertThat(relErr(reordered, whole)).isLessThan(1e-5);
        }
    }

    @org.junit.jupiter.api.Test
    void absorbedAndNaiveMlaAgreeOnPrefillAndDecode() {
        DeepSeekConfig c = DeepSeekConfig.preset("tiny-v3");
        int d = c.hiddenSize();
        float[] a = randomHidden(8, d, 41);
        float[][] results = new float[2][];
        MlaMode[] modes = {MlaMode.NAIVE, MlaMode.ABSORBED};
        for (int m = 0; m < 2; m++) {
            try (TandemRuntime rt = host(2);
                 DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, 2,
                         DecoderRunner.Options.defaults(2).withMla(modes[m]))) {
                float[] p = r.forward(List.of(new DecoderRunner.Request(1, rows(a, d, 0, 6), range(0, 6)),
                        new DecoderRunner.Request(2, rows(a, d, 6, 8), range(0, 2))));
                float[] q = r.forward(List.of(new DecoderRunner.Request(1, rows(a, d, 6, 7), range(6, 7)),
                        new DecoderRunner.Request(2, rows(a, d, 7, 8), range(2, 3))));
                results[m] = new float[p.length + q.length];
                System.arraycopy(p, 0, results[m], 0, p.length);
                System.arraycopy(q, 0, results[m], p.length, q.length);
            }
        }
        assertThat(relErr(results[1], results[0])).isLessThan(1e-5);
        assertThat(MlaMode.AUTO.absorb(1, 100, 128, 32, 16, 32)).isTrue();
        assertThat(MlaMode.AUTO.absorb(100, 100, 128, 32, 16, 32)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void plannedMicroBatchesCutAPrefillAndMatchOneBatch() {
        DeepSeekConfig c = DeepSeekConfig.preset("tiny-v3");
        int d = c.hiddenSize();
        float[] x = randomHidden(10, d, 51);
        List<DecoderRunner.Request> reqs = requests(c, x, new int[]{8, 2});
        float[] one;
        try (TandemRuntime rt = host(2);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, 2, DecoderRunner.Options.defaults(2))) {
            one = r.forward(reqs);
        }
        try (TandemRuntime rt = host(2);
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 3), 0, 2,
                     DecoderRunner.Options.defaults(2).withScheduling(DecoderRunner.Scheduling.OVERLAPPED))) {
            var plan = new dev.tandem.runtime.schedule.MicroBatchPlanner(1, 0.1, true,
                    dev.tandem.runtime.schedule.MicroBatchPlanner.CostModel.tokensOnly()).plan(r.shapes(reqs), 2);
            assertThat(plan.splitsARequest()).as(plan.reason()).isTrue();
            assertThat(relErr(r.forward(reqs, plan), one)).isLessThan(1e-5);
        }
    }
}
