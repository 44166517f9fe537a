package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.HostProfile;
import dev.tandem.runtime.sim.HostWorkload;
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
     * The deployment of a {@code DeepSeekEngine} running layers {@code [firstLayer, endLayer)} of {@code model} on
     * {@code ranks} expert-parallel ranks, costed with {@code profile}: the layers as a model of their own
     * ({@link DeepSeekConfig#layerSlice}), BF16 linear layers, balanced routing, up to 2 micro-batches, and a
     * placeholder batch (an advisor replaces it per step). The ranks fill nodes of the profile's size when they are
     * a multiple of it, else one node of {@code ranks} devices. With {@link #hostProfile} it plans the engine against
     * the machine it runs on; with a shipped profile, against a target deployment of the same layout.
     *
     * @param model      the engine's model
     * @param firstLayer the engine's first layer
     * @param endLayer   the engine's end layer (exclusive)
     * @param ranks      the engine's ranks
     * @param attention  the engine's attention parallelism
     * @param profile    the hardware to cost with
     * @return the deployment
     * @throws InvalidArgumentException if the layout does not fit the model (as the constructor checks)
     * @throws dev.tandem.deepseek.config.ConfigException if the layer range is not within the model
     */
    public static PlanSetup engine(DeepSeekConfig model, int firstLayer, int endLayer, int ranks,
                                   AttentionMode attention, HardwareProfile profile) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(profile, "profile");
        if (ranks < 1) {
            throw new InvalidArgumentException("ranks must be at least 1, got " + ranks);
        }
        DeepSeekConfig slice = model.layerSlice(firstLayer, endLayer);
        HardwareProfile placed = ranks % profile.devicesPerNode() == 0 ? profile : profile.withDevicesPerNode(ranks);
        int nodes = ranks / placed.devicesPerNode();
        String name = model.modelType() + " layers " + firstLayer + ".." + (endLayer - 1);
        return new PlanSetup(name, slice, slice.numHiddenLayers(), placed, nodes, attention,
                attention == AttentionMode.TP ? ranks : 1, ranks, "bf16", 1, 1, 0, 0, 2, RoutingModel.balanced());
    }

    /**
     * A {@link HostProfile} for an engine on this machine's host backend: measured with {@code ranks} devices of
     * {@code computeThreads} threads busy at once, every kernel at {@code model}'s own shapes (the GEMM rate at its
     * linear-layer weight shapes, {@link #linearWeightShapes}; element-wise kernels at its hidden width; attention at
     * its heads and head dimensions), and the emulated {@code link}. Takes from a fraction of a second (small
     * models) to tens of seconds (full-size layers: the GEMMs run at their real size).
     *
     * @param model          the engine's model
     * @param attention      the engine's attention parallelism (TP splits the heads' weights over the ranks)
     * @param ranks          the engine's ranks
     * @param computeThreads the engine's compute threads per device (0: the host backend's default, cores / ranks)
     * @param link           the engine's emulated link, or null for the host profile's default
     * @return the measured profile, with {@code ranks} devices per node
     */
    public static HardwareProfile hostProfile(DeepSeekConfig model, AttentionMode attention, int ranks,
                                              int computeThreads, LinkEmulation link) {
        // 0 means what the host backend makes of it: the cores shared by the ranks
        int threads = computeThreads > 0 ? computeThreads
                : Math.max(1, Runtime.getRuntime().availableProcessors() / ranks);
        int heads = attention == AttentionMode.TP ? model.numAttentionHeads() / ranks : model.numAttentionHeads();
        HostWorkload job = new HostWorkload(linearWeightShapes(model, attention, ranks), model.hiddenSize(),
                Math.max(1, heads), model.qkHeadDim(), model.vHeadDim());
        return HostProfile.measure(link, ranks, threads, job).withDevicesPerNode(ranks);
    }

    /**
     * The weight shapes {@code {k, n}} of one rank's linear layers ({@code x [m,k] times W [n,k]^T}): MLA's query
     * (low-rank pair or one projection), compressed key-value and its expansion, output; the router; one routed
     * expert's fused gate and up projection and its down projection. Under TP attention the head dimensions are
     * split over the ranks.
     *
     * @param model     the model
     * @param attention the attention parallelism
     * @param ranks     the ranks (the TP size under TP attention)
     * @return the shapes, each {@code {k, n}}
     */
    public static int[][] linearWeightShapes(DeepSeekConfig model, AttentionMode attention, int ranks) {
        int heads = attention == AttentionMode.TP ? model.numAttentionHeads() / ranks : model.numAttentionHeads();
        int d = model.hiddenSize();
        java.util.List<int[]> shapes = new java.util.ArrayList<>();
        if (model.hasQLora()) {
            shapes.add(new int[] {d, model.qLoraRank()});
            shapes.add(new int[] {model.qLoraRank(), heads * model.qkHeadDim()});
        } else {
            shapes.add(new int[] {d, heads * model.qkHeadDim()});
        }
        shapes.add(new int[] {d, model.kvLoraRank() + model.qkRopeHeadDim()});
        shapes.add(new int[] {model.kvLoraRank(), heads * (model.qkNopeHeadDim() + model.vHeadDim())});
        shapes.add(new int[] {heads * model.vHeadDim(), d});
        shapes.add(new int[] {d, model.nRoutedExperts()});
        shapes.add(new int[] {d, 2 * model.moeIntermediateSize()});
        shapes.add(new int[] {model.moeIntermediateSize(), d});
        return shapes.toArray(int[][]::new);
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
