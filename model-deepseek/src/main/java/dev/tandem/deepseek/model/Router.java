package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.config.ScoringFunc;
import dev.tandem.deepseek.config.TopkMethod;
import dev.tandem.runtime.MoeGating;

import java.util.Arrays;

/**
 * Expert selection from router scores (deepseek.md section 3). The layer selects on the device with
 * {@link dev.tandem.runtime.Kernels#moeGatingTopK} configured by {@link #gating}, and sorts by expert there too
 * ({@link dev.tandem.runtime.Kernels#moeDispatch}): only per-expert counts reach the host. {@link #route} is the same
 * selection on the host, from scores, kept as the reference the tests check the device path against.
 * Deterministic: ties go to the lower group or expert index. Masked experts are excluded outright (the -inf convention of the reference
 * and vLLM, not HF's 0.0).
 *
 * <ul>
 *   <li>{@code noaux_tc} (V3): selection score {@code b = s + bias}; group score = sum of the group's two largest
 *       b; keep {@code topk_group} groups; top-k of b there; weights from the unbiased s.</li>
 *   <li>{@code group_limited_greedy} (V2): group score = max s in the group; top-k of s in the kept groups.</li>
 *   <li>{@code greedy} (V2-Lite): top-k of s.</li>
 * </ul>
 * Then, if {@code norm_topk_prob}, {@code w / (sum w + 1e-20)}; finally {@code w * routed_scaling_factor}.
 */
public final class Router {
    private Router() {
    }

    /**
     * Routing of {@code tokens} tokens: {@code experts[t*k + j]} ascending in j for each token (so every consumer
     * combines a token's experts in ascending expert order), {@code weights} aligned with it.
     * @param tokens  number of routed tokens
     * @param k       experts per token
     * @param experts {@code [tokens, k]} selected expert indices, ascending per token
     * @param weights {@code [tokens, k]} combine weights aligned with {@code experts}
     */
    public record Routing(int tokens, int k, int[] experts, float[] weights) {
        /**
         * The expert in a token's slot.
         *
         * @param token the token index
         * @param slot  the slot, below {@code k}
         * @return the expert index
         */
        public int expert(int token, int slot) {
            return experts[token * k + slot];
        }

        /**
         * The combine weight of a token's slot.
         *
         * @param token the token index
         * @param slot  the slot, below {@code k}
         * @return the weight
         */
        public float weight(int token, int slot) {
            return weights[token * k + slot];
        }

        /**
         * Number of (token, slot) pairs per expert.
         *
         * @param numExperts the number of routed experts
         * @return the count of selections of each expert
         */
        public int[] histogram(int numExperts) {
            int[] h = new int[numExperts];
            for (int e : experts) {
                h[e]++;
            }
            return h;
        }
    }

    /**
     * The device-side gating of this configuration (scoring function, grouping, renormalisation, scaling).
     *
     * @param c the model config
     * @return the gating parameters for the device kernel
     */
    public static MoeGating gating(DeepSeekConfig c) {
        boolean grouped = c.topkMethod() != TopkMethod.GREEDY;
        return new MoeGating(c.numExpertsPerTok(), grouped ? c.nGroup() : 1, grouped ? c.topkGroup() : 1,
                c.scoringFunc() == ScoringFunc.SIGMOID ? MoeGating.Norm.SIGMOID : MoeGating.Norm.SOFTMAX,
                c.topkMethod() == TopkMethod.NOAUX_TC ? MoeGating.GroupScore.SUM_OF_TOP_TWO : MoeGating.GroupScore.MAX,
                c.normTopkProb(), (float) c.routedScalingFactor());
    }

    /**
     * Routes tokens on the host from their scores (the reference for the device path).
     *
     * @param scores {@code [tokens, E]} sigmoid (V3) or softmax (V2) scores
     * @param bias   {@code [E]} correction bias (noaux_tc only), or null
     * @param c      the model config
     * @param tokens number of tokens
     * @return the selected experts and weights
     * @throws IllegalArgumentException if the scores or bias have the wrong length
     * @throws IllegalStateException if a score is NaN
     */
    public static Routing route(DeepSeekConfig c, float[] scores, float[] bias, int tokens) {
        int e = c.nRoutedExperts();
        int k = c.numExpertsPerTok();
        if (scores.length != tokens * e) {
            throw new IllegalArgumentException("scores hold " + scores.length + " values, expected " + tokens + "x" + e);
        }
        boolean v3 = c.topkMethod() == TopkMethod.NOAUX_TC;
        if (v3 && (bias == null || bias.length != e)) {
            throw new IllegalArgumentException("noaux_tc needs an e_score_correction_bias of " + e + " values");
        }
        int groups = c.topkMethod() == TopkMethod.GREEDY ? 1 : c.nGroup();
        int keepGroups = c.topkMethod() == TopkMethod.GREEDY ? 1 : c.topkGroup();
        int perGroup = e / groups;
        int[] experts = new int[tokens * k];
        float[] weights = new float[tokens * k];
        float[] sel = new float[e];
        float[] groupScore = new float[groups];
        boolean[] groupKept = new boolean[groups];
        boolean[] taken = new boolean[e];
        int[] chosen = new int[k];
        for (int t = 0; t < tokens; t++) {
            int base = t * e;
            for (int x = 0; x < e; x++) {
                float s = scores[base + x];
                if (Float.isNaN(s)) {
                    throw new IllegalStateException("router score is NaN for token " + t + ", expert " + x);
                }
                sel[x] = v3 ? s + bias[x] : s;
            }
            // group scores
            for (int g = 0; g < groups; g++) {
                float best = Float.NEGATIVE_INFINITY;
                float second = Float.NEGATIVE_INFINITY;
                for (int x = g * perGroup; x < (g + 1) * perGroup; x++) {
                    float v = sel[x];
                    if (v > best) {
                        second = best;
                        best = v;
                    } else if (v > second) {
                        second = v;
                    }
                }
                groupScore[g] = v3 ? (perGroup >= 2 ? best + second : best) : best;
            }
            Arrays.fill(groupKept, false);
            for (int n = 0; n < keepGroups; n++) {
                int arg = -1;
                for (int g = 0; g < groups; g++) {
                    if (!groupKept[g] && (arg < 0 || groupScore[g] > groupScore[arg])) {
                        arg = g;
                    }
                }
                groupKept[arg] = true;
            }
            Arrays.fill(taken, false);
            for (int j = 0; j < k; j++) {
                int arg = -1;
                for (int x = 0; x < e; x++) {
                    if (!taken[x] && groupKept[x / perGroup] && (arg < 0 || sel[x] > sel[arg])) {
                        arg = x;
                    }
                }
                taken[arg] = true;
                chosen[j] = arg;
            }
            Arrays.sort(chosen);
            float sum = 0;
            for (int j = 0; j < k; j++) {
                experts[t * k + j] = chosen[j];
                weights[t * k + j] = scores[base + chosen[j]];
                sum += weights[t * k + j];
            }
            float denom = sum + 1e-20f;
            for (int j = 0; j < k; j++) {
                float w = weights[t * k + j];
                if (c.normTopkProb()) {
                    w = w / denom;
                }
                weights[t * k + j] = (float) (w * c.routedScalingFactor());
            }
        }
        return new Routing(tokens, k, experts, weights);
    }
}
