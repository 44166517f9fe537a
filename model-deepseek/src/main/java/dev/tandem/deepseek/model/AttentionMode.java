package dev.tandem.deepseek.model;

import java.util.Locale;

/** How attention is parallelised over the ranks; the MoE is always expert-parallel over all ranks. */
public enum AttentionMode {
    /** Data-parallel: each rank attends over its own requests with full heads. */
    DP,
    /**
     * Tensor-parallel: every rank holds every request, computes H/P heads (q_b/kv_b column-parallel, o_proj
     * row-parallel + all-reduce), then takes a contiguous token slice for the MoE and all-gathers the layer output.
     */
    TP;

    /**
     * Parses {@code dp} or {@code tp}, case-insensitively.
     *
     * @param s the text
     * @return the mode
     * @throws IllegalArgumentException if the text is neither
     */
    public static AttentionMode parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "dp" -> DP;
            case "tp" -> TP;
            default -> throw new IllegalArgumentException("attention mode must be dp or tp, got " + s);
        };
    }
}
