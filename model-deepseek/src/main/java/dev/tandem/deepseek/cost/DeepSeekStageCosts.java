package dev.tandem.deepseek.cost;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.runtime.InterconnectEstimate;
import dev.tandem.runtime.schedule.MicroBatchPlanner;
import dev.tandem.runtime.schedule.RequestShape;
import dev.tandem.runtime.schedule.RequestSlice;
import dev.tandem.runtime.schedule.Stage;
import dev.tandem.runtime.schedule.StageCostEstimator;
import dev.tandem.runtime.schedule.StageKind;

import java.util.List;

/**
 * Per-stage time estimates of a DeepSeek decoder layer on one rank, from FLOPs and bytes: compute stages cost
 * FLOPs / compute rate, communication stages cost latency + bytes / bandwidth. Attention cost grows with context
 * (every query attends to its cached and earlier tokens), so balancing these estimates balances what matters.
 */
public final class DeepSeekStageCosts implements StageCostEstimator {
    private static final int FLOAT_BYTES = 4;

    private final DeepSeekConfig config;
    private final int ranks;
    private final AttentionMode attention;
    private final double flopsPerSecond;
    private final InterconnectEstimate link;

    /**
     * Estimates stage times of one rank's share of a layer.
     *
     * @param flopsPerSecond measured or assumed compute rate of one device (see {@link ComputeRate})
     * @param link           the interconnect model used for communication estimates
     * @param config    the model config
     * @param ranks     ranks the layer runs on, at least 1
     * @param attention how attention is parallelised over the ranks
     * @throws IllegalArgumentException if {@code ranks < 1} or the compute rate is not positive
     */
    public DeepSeekStageCosts(DeepSeekConfig config, int ranks, AttentionMode attention, double flopsPerSecond,
                              InterconnectEstimate link) {
        if (ranks < 1) {
            throw new IllegalArgumentException("ranks must be at least 1, got " + ranks);
        }
        if (!(flopsPerSecond > 0)) {
            throw new IllegalArgumentException("compute rate must be positive, got " + flopsPerSecond);
        }
        this.config = config;
        this.ranks = ranks;
        this.attention = attention;
        this.flopsPerSecond = flopsPerSecond;
        this.link = link;
    }

    @Override
    public long estimateNanos(Stage<?> stage, List<RequestSlice> slices, List<RequestShape> requests) {
        String name = stage.name().substring(stage.name().indexOf('/') + 1);
        double tokens = 0;
        double pairs = 0;
        for (RequestSlice s : slices) {
            long context = (long) requests.get(s.request()).cachedTokens() + s.start();
            tokens += s.tokens();
            pairs += (double) s.tokens() * context + (double) s.tokens() * (s.tokens() + 1) / 2.0;
        }
        // Data-parallel attention: each rank holds about 1/P of the tokens; tensor-parallel: all tokens, 1/P of heads.
        double rankTokens = attention == AttentionMode.DP ? tokens / ranks : tokens;
        double headShare = attention == AttentionMode.TP ? 1.0 / ranks : 1.0;
        double ffnTokens = tokens / ranks;   // both modes run the FFN on a 1/P share of the tokens
        int d = config.hiddenSize();
        int k = config.numExpertsPerTok();
        return switch (name) {
            case "attention" -> compute(rankTokens * attentionFlopsPerToken() * headShare
                    + (attention == AttentionMode.DP ? pairs / ranks : pairs) * attentionFlopsPerPair() * headShare);
            case "gate" -> compute(ffnTokens * 2.0 * d * config.nRoutedExperts());
            case "shared" -> compute(ffnTokens * 6.0 * d * config.moeIntermediateSize() * config.nSharedExperts());
            case "experts" -> compute(ffnTokens * k * 6.0 * d * config.moeIntermediateSize());
            case "mlp" -> compute(ffnTokens * 6.0 * d * config.intermediateSize());
            case "moe-output", "attn-residual" -> compute(ffnTokens * 2.0 * d * (k + 2));
            case "dispatch", "combine" -> transfer(ffnTokens * k * d * FLOAT_BYTES * (ranks - 1.0) / ranks);
            case "dispatch-counts" -> transfer((double) config.nRoutedExperts() * ranks * FLOAT_BYTES);
            case "attn-allreduce" -> transfer(2.0 * (ranks - 1.0) / ranks * tokens * d * FLOAT_BYTES);
            case "tp-allgather" -> transfer((ranks - 1.0) * ffnTokens * d * FLOAT_BYTES);
            default -> stage.kind() == StageKind.COMM ? transfer(0)
                    : compute(rankTokens * 2.0 * d * d);
        };
    }

    /**
     * Weights for the split planner: per-token matmul FLOPs against per attention-pair FLOPs of one layer, so a
     * split balances attention that grows with context, not just token counts.
     * @param c the model config
     * @return the planner's per-token and per-pair cost weights
     */
    public static MicroBatchPlanner.CostModel plannerCostModel(DeepSeekConfig c) {
        double perToken = 2.0 * c.hiddenSize() * (c.numAttentionHeads() * c.qkHeadDim() + c.moeIntermediateSize()
                * 3.0 * (c.numExpertsPerTok() + c.nSharedExperts()));
        double perPair = 2.0 * c.numAttentionHeads() * (c.qkHeadDim() + c.vHeadDim());
        return new MicroBatchPlanner.CostModel(perToken, perPair);
    }

    private double attentionFlopsPerToken() {
        int d = config.hiddenSize();
        int h = config.numAttentionHeads();
        double q = config.hasQLora()
                ? (double) d * config.qLoraRank() + (double) config.qLoraRank() * h * config.qkHeadDim()
                : (double) d * h * config.qkHeadDim();
        double kvA = (double) d * (config.kvLoraRank() + config.qkRopeHeadDim());
        double kvB = (double) config.kvLoraRank() * h * (config.qkNopeHeadDim() + config.vHeadDim());
        double o = (double) h * config.vHeadDim() * d;
        return 2.0 * (q + kvA + kvB + o);
    }

    private double attentionFlopsPerPair() {
        return 2.0 * config.numAttentionHeads() * (config.qkHeadDim() + config.vHeadDim());
    }

    private long compute(double flops) {
        return Math.round(flops / flopsPerSecond * 1e9);
    }

    private long transfer(double bytes) {
        if (ranks == 1 || link == null) {
            return 0;
        }
        return link.transferNanos(Math.round(bytes));
    }
}
