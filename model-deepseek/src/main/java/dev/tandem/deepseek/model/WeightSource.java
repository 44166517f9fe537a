package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.weights.Checkpoint;
import dev.tandem.deepseek.weights.LayerWeights;

/** Where a runner gets each layer's host weights, limited to a range of routed experts. */
@FunctionalInterface
public interface WeightSource {

    LayerWeights load(int layer, int expertStart, int expertEnd);

    /**
     * Seeded random weights ({@link LayerWeights#random}); the same for every rank split. Drawn as each tensor is
     * uploaded, so no layer's weights are held on the Java heap next to the device's copy.
     */
    static WeightSource random(DeepSeekConfig config, long seed) {
        return (layer, e0, e1) -> LayerWeights.randomOnDemand(config, layer, seed, e0, e1);
    }

    /** Layers from a HuggingFace checkpoint (only the requested experts are read, each tensor as it is uploaded). */
    static WeightSource checkpoint(Checkpoint ckpt) {
        return (layer, e0, e1) -> LayerWeights.load(ckpt, layer, e0, e1);
    }
}
