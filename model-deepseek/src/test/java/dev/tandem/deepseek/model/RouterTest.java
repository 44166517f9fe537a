package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.config.ScoringFunc;
import dev.tandem.deepseek.config.TopkMethod;
import dev.tandem.deepseek.config.YarnScaling;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Gate selection on hand-made cases. */
class RouterTest {
    /** 8 experts in 4 groups of 2, k experts from topkGroup groups. */
    static DeepSeekConfig cfg(TopkMethod m, ScoringFunc f, int groups, int topkGroup, int k, boolean norm, double rsf) {
        return new DeepSeekConfig(m == TopkMethod.NOAUX_TC ? "deepseek_v3" : "deepseek_v2", 16, 2, 2, 0, 8, 4, 4, 4, 16, 8, 8, 1, k,
                groups, topkGroup, m, f, norm, rsf, 1, 1, 1e-6, 10000, YarnScaling.deepseek(1, 1), 4096, 0, null);
    }

    @Test
    void noauxTcUsesBiasForSelectionOnlyAndSumOfTopTwoPerGroup() {
        DeepSeekConfig c = cfg(TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, 4, 2, 2, true, 2.5);
        //            group0      group1      group2      group3
        float[] s = {0.9f, 0.1f, 0.6f, 0.55f, 0.5f, 0.5f, 0.2f, 0.95f};
        float[] bias = {0, 0, 0, 0, 0, 0, 0, 0};
        // group scores: 1.0, 1.15, 1.0, 1.15 -> groups 1 and 3; top-2 there: 7 (0.95), 2 (0.6)
        Router.Routing r = Router.route(c, s, bias, 1);
        assertThat(r.experts()).containsExactly(2, 7);
        assertThat(r.weights()[0]).isCloseTo(0.6f / 1.55f * 2.5f, within(1e-6f));
        assertThat(r.weights()[1]).isCloseTo(0.95f / 1.55f * 2.5f, within(1e-6f));
        // a negative bias on expert 7 drops group 3 (1.15-0.9=0.25) in favour of the tie 1.0 groups: lower index wins
        float[] neg = {0, 0, 0, 0, 0, 0, 0, -0.9f};
        r = Router.route(c, s, neg, 1);
        assertThat(r.experts()).containsExactly(0, 2);
        // weights still come from the unbiased scores
        assertThat(r.weights()[0]).isCloseTo(0.9f / 1.5f * 2.5f, within(1e-6f));
        // a positive bias can pull in an expert with a low score
        float[] s2 = {0.9f, 0.1f, 0.6f, 0.55f, 0.5f, 0.5f, 0.2f, 0.7f};
        float[] pos = {0, 0.6f, 0, 0, 0, 0, 0, 0};
        // b = 0.9, 0.7, 0.6, 0.55 | ...: groups 0 (1.6) and 1 (1.15); top-2 = 0 and 1, weights from s (0.9, 0.1)
        r = Router.route(c, s2, pos, 1);
        assertThat(r.experts()).containsExactly(0, 1);
        assertThat(r.weights()[0]).isCloseTo(0.9f / 1.0f * 2.5f, within(1e-6f));
        assertThat(r.weights()[1]).isCloseTo(0.1f / 1.0f * 2.5f, within(1e-6f));
    }

    @Test
    void noauxTcMasksAllOutsideKeptGroupsEvenWithNegativeBiasedScores() {
        DeepSeekConfig c = cfg(TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, 4, 1, 2, false, 1.0);
        float[] s = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
        float[] bias = {-2f, -2.1f, -1f, -1f, -3f, -3f, -0.5f, -5f};
        // group scores: -3.1, -1.0, -5.0, -4.0 -> group 1 only; both its experts even though b < 0
        Router.Routing r = Router.route(c, s, bias, 1);
        assertThat(r.experts()).containsExactly(2, 3);
        assertThat(r.weights()).containsExactly(0.5f, 0.5f);
    }

    @Test
    void groupLimitedGreedyScoresGroupsByTheirMaximum() {
        DeepSeekConfig c = cfg(TopkMethod.GROUP_LIMITED_GREEDY, ScoringFunc.SOFTMAX, 4, 2, 3, false, 16.0);
        float[] s = {0.30f, 0.01f, 0.12f, 0.11f, 0.10f, 0.10f, 0.20f, 0.06f};
        // max per group: 0.30, 0.12, 0.10, 0.20 -> groups 0 and 3; top-3 of {0.30,0.01,0.20,0.06}
        Router.Routing r = Router.route(c, s, null, 1);
        assertThat(r.experts()).containsExactly(0, 6, 7);
        assertThat(r.weights()).containsExactly(0.30f * 16, 0.20f * 16, 0.06f * 16);
    }

    @Test
    void greedyIgnoresGroupsAndSortsSlotsByExpert() {
        DeepSeekConfig c = cfg(TopkMethod.GREEDY, ScoringFunc.SOFTMAX, 1, 1, 2, false, 1.0);
        float[] s = {0.05f, 0.3f, 0.05f, 0.05f, 0.05f, 0.05f, 0.4f, 0.05f,
                     0.2f, 0.2f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f};
        Router.Routing r = Router.route(c, s, null, 2);
        assertThat(r.experts()).containsExactly(1, 6, 0, 1); // second token: tie 0.2/0.2 keeps both lowest indices
        assertThat(r.weight(0, 0)).isEqualTo(0.3f);
        assertThat(r.histogram(8)).containsExactly(1, 2, 0, 0, 0, 0, 1, 0);
    }

    /** The device-side gating (here on the host backend) selects what the host reference selects from the scores. */
    @Test
    void theDeviceGatingAgreesWithTheHostReference() {
        java.util.Random random = new java.util.Random(3);
        int tokens = 7;
        DeepSeekConfig[] configs = {cfg(TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, 4, 2, 3, true, 2.5),
                cfg(TopkMethod.GROUP_LIMITED_GREEDY, ScoringFunc.SOFTMAX, 4, 2, 3, false, 16.0),
                cfg(TopkMethod.GREEDY, ScoringFunc.SOFTMAX, 1, 1, 2, true, 1.0)};
        try (dev.tandem.runtime.TandemRuntime rt = dev.tandem.runtime.TandemRuntime.open("host")) {
            dev.tandem.runtime.Device d = rt.device(0);
            dev.tandem.runtime.Stream s = d.createStream("gate");
            for (DeepSeekConfig c : configs) {
                int e = c.nRoutedExperts();
                int k = c.numExpertsPerTok();
                float[] logits = new float[tokens * e];
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = (float) random.nextGaussian();
                }
                float[] bias = new float[e];
                for (int x = 0; x < e; x++) {
                    bias[x] = (float) (random.nextGaussian() * 0.1);
                }
                boolean v3 = c.topkMethod() == TopkMethod.NOAUX_TC;
                dev.tandem.runtime.Tensor tl = dev.tandem.runtime.Tensor.allocate(d, s, dev.tandem.runtime.DType.F32, tokens, e);
                dev.tandem.runtime.Tensor tb = dev.tandem.runtime.Tensor.allocate(d, s, dev.tandem.runtime.DType.F32, e);
                dev.tandem.runtime.Tensor tw = dev.tandem.runtime.Tensor.allocate(d, s, dev.tandem.runtime.DType.F32, tokens, k);
                dev.tandem.runtime.Tensor ti = dev.tandem.runtime.Tensor.allocate(d, s, dev.tandem.runtime.DType.I32, tokens, k);
                s.upload(logits, tl);
                s.upload(bias, tb);
                d.kernels().moeGatingTopK(s, tl, v3 ? tb : null, Router.gating(c), tw, ti);
                int[] ids = new int[tokens * k];
                s.download(ti, ids);
                float[] w = s.readFloats(tw);
                Router.Routing device = fromDevice(tokens, k, ids, w);

                float[] scores = new float[tokens * e];
                dev.tandem.runtime.Tensor ts = dev.tandem.runtime.Tensor.allocate(d, s, dev.tandem.runtime.DType.F32, tokens, e);
                if (v3) {
                    d.kernels().sigmoid(s, tl, ts);
                } else {
                    d.kernels().softmax(s, tl, ts);
                }
                scores = s.readFloats(ts);
                Router.Routing host = Router.route(c, scores, v3 ? bias : null, tokens);
                assertThat(device.experts()).as(c.topkMethod().toString()).containsExactly(host.experts());
                for (int i = 0; i < w.length; i++) {
                    assertThat(device.weights()[i]).isCloseTo(host.weights()[i], within(1e-5f));
                }
            }
        }
    }

    /**
     * A routing from the device's selection: {@code experts}/{@code weights} {@code [tokens, k]} in any slot order,
     * re-ordered ascending by expert per token (the order every consumer combines in).
     */
    private static Router.Routing fromDevice(int tokens, int k, int[] experts, float[] weights) {
        if (experts.length != tokens * k || weights.length != tokens * k) {
            throw new IllegalArgumentException("expected " + tokens + "x" + k + " experts and weights, got "
                    + experts.length + " and " + weights.length);
        }
        int[] sortedExperts = new int[experts.length];
        float[] sortedWeights = new float[weights.length];
        Integer[] order = new Integer[k];
        for (int t = 0; t < tokens; t++) {
            int base = t * k;
            for (int j = 0; j < k; j++) {
                order[j] = j;
            }
            Arrays.sort(order, (a, b) -> Integer.compare(experts[base + a], experts[base + b]));
            for (int j = 0; j < k; j++) {
                sortedExperts[base + j] = experts[base + order[j]];
                sortedWeights[base + j] = weights[base + order[j]];
                if (Float.isNaN(sortedWeights[base + j])) {
                    throw new IllegalStateException("router weight is NaN for token " + t + ", expert " + sortedExperts[base + j]);
                }
            }
        }
        return new Router.Routing(tokens, k, sortedExperts, sortedWeights);
    }

}
