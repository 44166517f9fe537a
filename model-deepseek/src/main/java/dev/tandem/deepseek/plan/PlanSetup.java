package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.RoutingModel;

import java.util.Objects;

/**
 * One configuration to plan.
 *
 * @param modelName      what the model was called on the command line
 * @param model          the model's configuration
 * @param layers         decoder layers simulated (the model's count for a full step)
 * @param profile        hardware (its devices-per-node already set)
 * @param nodes          nodes
 * @param attention      DP or TP attention
 * @param tp             tensor-parallel size of attention (1 under DP; the whole group under TP)
 * @param ep             expert-parallel size (ranks)
 * @param quant          {@code bf16}, {@code w8a8} or {@code fp8}
 * @param prefillCount   prefill requests in the step
 * @param prefillLength  tokens of each
 * @param decodeBatch    decode requests in the step (one new token each)
 * @param decodeContext  cached tokens of each
 * @param microBatches   most micro-batches tried for overlap (2 = DBO)
 * @param routing        expert load model
 */
public record PlanSetup(String modelName, DeepSeekConfig model, int layers, HardwareProfile profile, int nodes,
                        AttentionMode attention, int tp, int ep, String quant, int prefillCount, int prefillLength,
                        int decodeBatch, int decodeContext, int microBatches, RoutingModel routing) {
    /** Checks that Tandem can run the layout and that the hardware has the quantisation's units. */
    public PlanSetup {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(profile, "profile");
        if (nodes < 1) {
            throw new InvalidArgumentException("--nodes must be at least 1, got " + nodes);
        }
        if (ep != nodes * profile.devicesPerNode()) {
            throw new InvalidArgumentException("--ep " + ep + " must equal nodes x devices per node = " + nodes + " x "
                    + profile.devicesPerNode() + " = " + nodes * profile.devicesPerNode()
                    + " (Tandem places one expert-parallel rank on every device)");
        }
        if (model.nRoutedExperts() % ep != 0) {
            throw new InvalidArgumentException("--ep " + ep + " does not divide the model's " + model.nRoutedExperts()
                    + " routed experts");
        }
        if (attention == AttentionMode.DP && tp != 1) {
            throw new InvalidArgumentException("--tp " + tp + " needs --attention tp; data-parallel attention has tp 1");
        }
        if (attention == AttentionMode.TP && tp != ep) {
            throw new InvalidArgumentException("--tp " + tp + " must equal --ep " + ep
                    + " under --attention tp (Tandem splits attention heads over the whole expert-parallel group)");
        }
        if (attention == AttentionMode.TP && model.numAttentionHeads() % tp != 0) {
            throw new InvalidArgumentException("--tp " + tp + " does not divide the model's " + model.numAttentionHeads()
                    + " attention heads");
        }
        if (layers < 1 || layers > model.numHiddenLayers()) {
            throw new InvalidArgumentException("--layers must be within 1.." + model.numHiddenLayers() + ", got " + layers);
        }
        if (prefillCount * (long) prefillLength + decodeBatch <= 0) {
            throw new InvalidArgumentException("the step has no tokens: give --prefill COUNTxLEN and/or --decode BATCHxCONTEXT");
        }
        if (prefillCount < 0 || prefillLength < 0 || decodeBatch < 0 || decodeContext < 0) {
            throw new InvalidArgumentException("batch sizes and lengths must not be negative");
        }
        if (microBatches < 1 || microBatches > 4) {
            throw new InvalidArgumentException("--micro-batches must be 1..4, got " + microBatches);
        }
        String linear = linearDType(quant);
        if (Double.isNaN(profile.peak(linear))) {
            throw new InvalidArgumentException("--quant " + quant + " needs " + linear + " units, which " + profile.name()
                    + " does not have (it has " + String.join(", ", profile.peakTflops().keySet()) + ")");
        }
    }

    /**
     * The GEMM dtype of a quantisation: W8A8 runs INT8 GEMMs, FP8 runs FP8 ones.
     *
     * @param quant {@code bf16}, {@code w8a8} or {@code fp8}
     * @return {@code bf16}, {@code int8} or {@code fp8}
     * @throws InvalidArgumentException if the quantisation is unknown
     */
    public static String linearDType(String quant) {
        return switch (quant) {
            case "bf16" -> "bf16";
            case "w8a8" -> "int8";
            case "fp8" -> "fp8";
            default -> throw new InvalidArgumentException("--quant must be bf16, w8a8 or fp8, got '" + quant + "'");
        };
    }

    /**
     * New tokens of the whole step.
     *
     * @return prefill tokens plus decode requests
     */
    public long stepTokens() {
        return (long) prefillCount * prefillLength + decodeBatch;
    }

    /**
     * New tokens per device: the step's tokens over the data-parallel ranks (all ranks under TP see all).
     *
     * @return the tokens per device
     */
    public double tokensPerDevice() {
        return attention == AttentionMode.TP ? stepTokens() : (double) stepTokens() / ep;
    }

    /**
     * This setup with another prefill count (the sweep varies tokens per device this way).
     *
     * @param count  prefill requests in the step
     * @param length tokens of each
     * @return the new setup
     */
    public PlanSetup withPrefill(int count, int length) {
        return new PlanSetup(modelName, model, layers, profile, nodes, attention, tp, ep, quant, count, length,
                decodeBatch, decodeContext, microBatches, routing);
    }

    /**
     * This setup with another decode batch (the sweep of decode steps).
     *
     * @param batch   decode requests in the step
     * @param context cached tokens of each
     * @return the new setup
     */
    public PlanSetup withDecode(int batch, int context) {
        return new PlanSetup(modelName, model, layers, profile, nodes, attention, tp, ep, quant, prefillCount,
                prefillLength, batch, context, microBatches, routing);
    }
}
