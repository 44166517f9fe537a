package dev.tandem.runtime;

import java.util.Objects;

/**
 * How {@link Kernels#moeGatingTopK} selects experts from router logits (DeepSeek's gates, deepseek.md section 3).
 *
 * @param k           experts per token
 * @param groups      expert groups ({@code n_group}; 1 for no grouping); the expert count must divide by it
 * @param keepGroups  groups kept per token ({@code topk_group}), 1..groups
 * @param norm        logits to scores: softmax over the experts (V2) or an element-wise sigmoid (V3)
 * @param groupScore  a group's score: its largest selection score (V2) or the sum of its two largest (V3)
 * @param renormalize divide the k weights by their sum + 1e-20 ({@code norm_topk_prob})
 * @param scaling     factor applied to the weights last ({@code routed_scaling_factor})
 */
public record MoeGating(int k, int groups, int keepGroups, Norm norm, GroupScore groupScore, boolean renormalize,
                        float scaling) {
    /** How router logits become scores. */
    public enum Norm {
        /** Softmax over the experts (DeepSeek-V2). */
        SOFTMAX,
        /** Element-wise sigmoid (DeepSeek-V3). */
        SIGMOID
    }

    /** How an expert group is scored when groups are kept. */
    public enum GroupScore {
        /** The group's largest selection score (DeepSeek-V2). */
        MAX,
        /** The sum of the group's two largest selection scores (DeepSeek-V3). */
        SUM_OF_TOP_TWO
    }

    /**
     * Checks the settings.
     *
     * @throws OutOfRangeException if {@code k} is below 1 or {@code keepGroups} is outside 1..groups
     * @throws InvalidArgumentException if {@code scaling} is not finite
     */
    public MoeGating {
        Objects.requireNonNull(norm, "norm");
        Objects.requireNonNull(groupScore, "groupScore");
        if (k < 1) {
            throw new OutOfRangeException("MoeGating: k = " + k + " must be at least 1");
        }
        if (groups < 1 || keepGroups < 1 || keepGroups > groups) {
            throw new OutOfRangeException("MoeGating: keepGroups = " + keepGroups + " must be in [1, groups = " + groups + "]");
        }
        if (!Float.isFinite(scaling)) {
            throw new InvalidArgumentException("MoeGating: scaling must be finite, got " + scaling);
        }
    }

    /**
     * DeepSeek-V3's {@code noaux_tc}: sigmoid scores, a correction bias for selection, groups by top-two sums.
     *
     * @param k           experts per token, at least 1
     * @param groups      expert groups (1 for no grouping)
     * @param keepGroups  groups kept per token, 1..groups
     * @param renormalize whether the k weights are divided by their sum
     * @param scaling     factor applied to the weights last
     * @return the gating
     */
    public static MoeGating noauxTc(int k, int groups, int keepGroups, boolean renormalize, float scaling) {
        return new MoeGating(k, groups, keepGroups, Norm.SIGMOID, GroupScore.SUM_OF_TOP_TWO, renormalize, scaling);
    }

    /**
     * DeepSeek-V2's softmax gates: {@code group_limited_greedy} (groups by max), or {@code greedy} with one group.
     *
     * @param k           experts per token, at least 1
     * @param groups      expert groups (1 for no grouping)
     * @param keepGroups  groups kept per token, 1..groups
     * @param renormalize whether the k weights are divided by their sum
     * @param scaling     factor applied to the weights last
     * @return the gating
     */
    public static MoeGating softmax(int k, int groups, int keepGroups, boolean renormalize, float scaling) {
        return new MoeGating(k, groups, keepGroups, Norm.SOFTMAX, GroupScore.MAX, renormalize, scaling);
    }
}
