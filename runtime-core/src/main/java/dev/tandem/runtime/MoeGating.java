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
    public enum Norm { SOFTMAX, SIGMOID }

    public enum GroupScore { MAX, SUM_OF_TOP_TWO }

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

    /** DeepSeek-V3's {@code noaux_tc}: sigmoid scores, a correction bias for selection, groups by top-two sums. */
    public static MoeGating noauxTc(int k, int groups, int keepGroups, boolean renormalize, float scaling) {
        return new MoeGating(k, groups, keepGroups, Norm.SIGMOID, GroupScore.SUM_OF_TOP_TWO, renormalize, scaling);
    }

    /** DeepSeek-V2's softmax gates: {@code group_limited_greedy} (groups by max), or {@code greedy} with one group. */
    public static MoeGating softmax(int k, int groups, int keepGroups, boolean renormalize, float scaling) {
        return new MoeGating(k, groups, keepGroups, Norm.SOFTMAX, GroupScore.MAX, renormalize, scaling);
    }
}
