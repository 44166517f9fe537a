package dev.tandem.ascend;

import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

/**
 * Mixture-of-experts operators that only the Ascend backend offers, from {@link AscendDevice#moeKernels()}.
 * Like {@link dev.tandem.runtime.Kernels}, each call validates first and then enqueues on the stream.
 */
public final class AscendMoeKernels {
    private final AscendKernels kernels;

    AscendMoeKernels(AscendKernels kernels) {
        this.kernels = kernels;
    }

    /**
     * Grouped matmul with groups along the rows ({@code aclnnGroupedMatmulV4}, split item 3, group type 0,
     * group-list type 1): with {@code start_g = groupSizes[0] + ... + groupSizes[g-1]}, rows
     * {@code [start_g, start_g + groupSizes[g])} of {@code out} are those rows of {@code x} times
     * {@code weights[g]}. {@code x} is {@code [m, k]}, {@code weights [groups, k, n]}, {@code groupSizes} I64
     * {@code [groups]} in device memory (so it can come from a routing kernel), {@code out [m, n]}. Rows past the
     * last group are left unchanged; group sizes that add up to more than {@code m} fail the stream.
     */
    public void groupedMatmul(Stream stream, Tensor x, Tensor weights, Tensor groupSizes, Tensor out) {
        kernels.groupedMatmul(stream, x, weights, groupSizes, out);
    }

    /**
     * MoE routing ({@code aclnnMoeInitRoutingV3}, dropless, no quantisation): sorts the {@code tokens * k}
     * assignments of {@code expertIdx} by expert (stable, so ties keep token order) and copies each token's row of
     * {@code x} to its place in expert order. Same as {@link #initRouting(Stream, Tensor, Tensor, int, int, int,
     * Tensor, Tensor, Tensor, boolean)} with the expert range {@code [0, expertNum)}.
     */
    public void initRouting(Stream stream, Tensor x, Tensor expertIdx, int expertNum, Tensor expandedX,
                            Tensor expandedRowIdx, Tensor expertTokens, boolean cumulative) {
        initRouting(stream, x, expertIdx, expertNum, 0, expertNum, expandedX, expandedRowIdx, expertTokens, cumulative);
    }

    /**
     * MoE routing for the experts {@code [expertStart, expertEnd)} of {@code expertNum} ({@code aclnnMoeInitRoutingV3},
     * dropless, no quantisation, row-index type 0).
     * <ul>
     *   <li>{@code x} {@code [tokens, hidden]} F32/F16/BF16; {@code expertIdx} I32 {@code [tokens, k]} with values in
     *       {@code [0, expertNum)} (others fail the stream).</li>
     *   <li>Assignment {@code (t, j)} has the flat index {@code t * k + j}. The assignments whose expert is in the range
     *       are sorted by expert, ties in flat-index order; let {@code n} be their number.</li>
     *   <li>{@code expandedX} {@code [tokens * k, hidden]}, x's dtype: row {@code i < n} is the row of {@code x} of the
     *       i-th sorted assignment. Rows from {@code n} on are left unchanged.</li>
     *   <li>{@code expandedRowIdx} I32 {@code [tokens * k]}: entry {@code t * k + j} is the row of {@code expandedX} that
     *       holds assignment {@code (t, j)}, or -1 when its expert is outside the range.</li>
     *   <li>{@code expertTokens} I64 {@code [expertEnd - expertStart]}: the number of assignments per expert, or with
     *       {@code cumulative} their running sum. Counts are what {@link #groupedMatmul} takes as group sizes. The
     *       released kernel offers no running sum (expertTokensNumType 0): {@code cumulative = true} throws
     *       {@link FeatureNotSupportedException} before anything is enqueued.</li>
     * </ul>
     */
    public void initRouting(Stream stream, Tensor x, Tensor expertIdx, int expertNum, int expertStart, int expertEnd,
                            Tensor expandedX, Tensor expandedRowIdx, Tensor expertTokens, boolean cumulative) {
        kernels.moeInitRouting(stream, x, expertIdx, expertNum, expertStart, expertEnd, expandedX, expandedRowIdx,
                expertTokens, cumulative);
    }

    /**
     * Un-permutes expert outputs back to token order ({@code aclnnMoeFinalizeRoutingV2}, drop-pad mode 2: dropless,
     * row indices in {@code t * k + j} order as {@link #initRouting} writes them):
     * {@code out[t] = skip1[t] + skip2[t] + sum_j scales[t, j] * (expandedX[expandedRowIdx[t * k + j]] + bias[expertIdx[t, j]])}.
     * An index of -1 contributes only the bias term. {@code expandedX} {@code [tokens * k, hidden]} F32/F16/BF16;
     * {@code scales}, {@code bias [experts, hidden]}, {@code skip1}, {@code skip2} and {@code out [tokens, hidden]} have
     * its dtype; {@code expandedRowIdx} I32 {@code [tokens * k]}; {@code expertIdx} I32 {@code [tokens, k]}.
     * {@code expertIdx}, {@code bias}, {@code skip1} and {@code skip2} may be null; bias needs expertIdx and skip2
     * needs skip1.
     */
    public void finalizeRouting(Stream stream, Tensor expandedX, Tensor expandedRowIdx, Tensor scales, Tensor expertIdx,
                                Tensor bias, Tensor skip1, Tensor skip2, Tensor out) {
        kernels.moeFinalizeRouting(stream, expandedX, expandedRowIdx, scales, expertIdx, bias, skip1, skip2, out);
    }
}
