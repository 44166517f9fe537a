package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.weights.LayerWeights;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.tandem.deepseek.model.ModelTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Each layer kind (dense, MoE for every router) against the plain double-precision reference. */
class DecoderLayerTest extends LeakCheck {

    @ParameterizedTest(name = "{0} layer {1}")
    @CsvSource({
            "tiny-v3, 0, 5;3",
            "tiny-v3, 1, 5;3",
            "tiny-v2lite, 0, 4;1;3",
            "tiny-v2lite, 1, 4;1;3",
            "small-v2, 1, 4;2",
    })
    void layerMatchesReference(String preset, int layer, String lens) {
        DeepSeekConfig c = DeepSeekConfig.preset(preset);
        int[] seqLens = java.util.Arrays.stream(lens.split(";")).mapToInt(Integer::parseInt).toArray();
        int t = java.util.Arrays.stream(seqLens).sum();
        long seed = 11;
        float[] x = randomHidden(t, c.hiddenSize(), 5);
        float[] got;
        try (TandemRuntime rt = host(1);
             DecoderRunner runner = new DecoderRunner(rt, c, WeightSource.random(c, seed), layer, layer + 1,
                     DecoderRunner.Options.defaults(1))) {
            got = runner.forward(requests(c, x, seqLens));
        }
        Reference.minMargin = Double.POSITIVE_INFINITY;
        double[][] want = Reference.layer(c, LayerWeights.random(c, layer, seed), Reference.rows(x, c.hiddenSize()),
                positions(seqLens), seqLens);
        if (c.isMoeLayer(layer)) {
            assertThat(Reference.minMargin).as("routing margin of the test data").isGreaterThan(1e-4);
        }
        assertThat(relErr(got, flat(want))).as("relative error vs reference").isLessThan(2e-4);
    }
}
