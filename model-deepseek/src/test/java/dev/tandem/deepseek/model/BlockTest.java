package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.weights.LayerWeights;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.function.UnaryOperator;

import static dev.tandem.deepseek.model.ModelTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each block alone against the reference: zeroing the output projection of the other blocks makes a layer's output
 * {@code x + block(x)}, so a mismatch points at one block.
 */
class BlockTest extends LeakCheck {

    static LayerWeights zero(LayerWeights w, String... names) {
        for (String n : names) {
            w = w.with(n, new float[w.get(n).length]);
        }
        return w;
    }

    static double[] run(DeepSeekConfig c, int layer, UnaryOperator<LayerWeights> edit, int ranks, float[] x, int[] lens) {
        WeightSource src = (l, e0, e1) -> edit.apply(LayerWeights.random(c, l, 13, e0, e1));
        try (TandemRuntime rt = host(ranks);
             DecoderRunner r = new DecoderRunner(rt, c, src, layer, layer + 1, DecoderRunner.Options.defaults(ranks))) {
            float[] out = r.forward(requests(c, x, lens));
            double[] delta = new double[out.length];
            for (int i = 0; i < out.length; i++) {
                delta[i] = out[i] - x[i];
            }
            return delta;
        }
    }

    static double relErr(double[] a, double[] b) {
        double max = 1e-30;
        double err = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(b[i]));
            err = Math.max(err, Math.abs(a[i] - b[i]));
        }
        return err / max;
    }

    @ParameterizedTest(name = "MLA of {0}")
    @CsvSource({"tiny-v3", "tiny-v2lite", "small-v2"})
    void attentionAlone(String preset) {
        DeepSeekConfig c = DeepSeekConfig.preset(preset);
        int[] lens = {3, 5, 1};
        float[] x = randomHidden(9, c.hiddenSize(), 4);
        double[] got = run(c, 0, w -> zero(w, "mlp.down_proj.weight"), 1, x, lens);
        LayerWeights w = LayerWeights.random(c, 0, 13);
        double[][] xn = Reference.rmsNorm(Reference.rows(x, c.hiddenSize()), w.get("input_layernorm.weight"), c.rmsNormEps());
        double[] want = flat(Reference.attention(c, w, xn, positions(lens), lens));
        assertThat(relErr(got, want)).isLessThan(1e-4);
    }

    @ParameterizedTest(name = "dense MLP of {0}")
    @CsvSource({"tiny-v3", "tiny-v2lite"})
    void denseMlpAlone(String preset) {
        DeepSeekConfig c = DeepSeekConfig.preset(preset);
        int[] lens = {4};
        float[] x = randomHidden(4, c.hiddenSize(), 5);
        double[] got = run(c, 0, w -> zero(w, "self_attn.o_proj.weight"), 1, x, lens);
        LayerWeights w = LayerWeights.random(c, 0, 13);
        double[][] hn = Reference.rmsNorm(Reference.rows(x, c.hiddenSize()), w.get("post_attention_layernorm.weight"), c.rmsNormEps());
        double[] want = flat(Reference.mlp(hn, w.get("mlp.gate_proj.weight"), w.get("mlp.up_proj.weight"),
                w.get("mlp.down_proj.weight"), c.intermediateSize(), c.hiddenSize()));
        assertThat(relErr(got, want)).isLessThan(1e-4);
    }

    @ParameterizedTest(name = "{0}: {1} experts on {2} rank(s)")
    @CsvSource({"tiny-v3, routed, 2", "tiny-v3, shared, 1", "tiny-v2lite, routed, 2", "tiny-v2lite, shared, 2",
            "small-v2, routed, 4"})
    void moePartsAlone(String preset, String part, int ranks) {
        DeepSeekConfig c = DeepSeekConfig.preset(preset);
        int[] lens = {3, 4};
        float[] x = randomHidden(7, c.hiddenSize(), 6);
        UnaryOperator<LayerWeights> edit = w -> {
            w = zero(w, "self_attn.o_proj.weight");
            if (part.equals("routed")) {
                return zero(w, "mlp.shared_experts.down_proj.weight");
            }
            for (int e = w.expertStart(); e < w.expertEnd(); e++) {
                w = zero(w, "mlp.experts." + e + ".down_proj.weight");
            }
            return w;
        };
        double[] got = run(c, 1, edit, ranks, x, lens);
        LayerWeights w = edit.apply(LayerWeights.random(c, 1, 13));
        double[] want = flat(Reference.layer(c, w, Reference.rows(x, c.hiddenSize()), positions(lens), lens));
        for (int i = 0; i < want.length; i++) {
            want[i] -= x[i];
        }
        assertThat(relErr(got, want)).isLessThan(1e-4);
    }
}
