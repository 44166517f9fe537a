package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.weights.Checkpoint;
import dev.tandem.deepseek.weights.LayerWeights;

/** Where a runner gets each layer's host weights, limited to a range of routed experts. */
@FunctionalInterface
public interface WeightSource {

    /**
     * Loads one layer's host weights.
     *
     * @param layer       zero-based layer index
     * @param expertStart first routed expert to include
     * @param expertEnd   end (exclusive) of the routed experts to include
     * @return the layer's weights
     */
    LayerWeights load(int layer, int expertStart, int expertEnd);

    /**
     * Seeded random weights ({@link LayerWeights#random}); the same for every rank split. Drawn as each tensor is
     * uploaded, so no layer's weights are held on the Java heap next to the device's copy.
     * @param config the model config
     * @param seed   the random seed
     * @return the source
     */
    static WeightSource random(DeepSeekConfig config, long seed) {
        return (layer, e0, e1) -> LayerWeights.randomOnDemand(config, layer, seed, e0, e1);
    }

    /**
     * Layers from a HuggingFace checkpoint (only the requested experts are read, each tensor as it is uploaded).
     *
     * @param ckpt the open checkpoint; must stay open while the weights are used
     * @return the source
     */
    static WeightSource checkpoint(Checkpoint ckpt) {
        return (layer, e0, e1) -> LayerWeights.load(ckpt, layer, e0, e1);
    }
}
