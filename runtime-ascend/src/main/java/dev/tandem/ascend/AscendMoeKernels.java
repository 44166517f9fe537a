package dev.tandem.ascend;

import dev.tandem.ascend.internal.AclnnStatus;
import dev.tandem.ascend.internal.Nn;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

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
     *
     * @param stream     the Ascend stream the operator is enqueued on
     * @param x          the input rows {@code [m, k]}
     * @param weights    one weight matrix per group {@code [groups, k, n]}
     * @param groupSizes the rows of each group, I64 {@code [groups]} in device memory
     * @param out        the output {@code [m, n]}; must not alias an input
     * @throws ShapeException when the shapes or dtypes do not fit together
     */
    public void groupedMatmul(Stream stream, Tensor x, Tensor weights, Tensor groupSizes, Tensor out) {
        groupedMatmulImpl(stream, x, weights, groupSizes, out);
    }

    /**
     * MoE routing ({@code aclnnMoeInitRoutingV3}, dropless, no quantisation): sorts the {@code tokens * k}
     * assignments of {@code expertIdx} by expert (stable, so ties keep token order) and copies each token's row of
     * {@code x} to its place in expert order. Same as {@link #initRouting(Stream, Tensor, Tensor, int, int, int,
     * Tensor, Tensor, Tensor, boolean)} with the expert range {@code [0, expertNum)}.
     *
     * @param stream         the Ascend stream the operator is enqueued on
     * @param x              the token rows {@code [tokens, hidden]}
     * @param expertIdx      each token's experts, I32 {@code [tokens, k]}
     * @param expertNum      the number of experts
     * @param expandedX      receives the rows of {@code x} in expert order {@code [tokens * k, hidden]}
     * @param expandedRowIdx receives each assignment's row in {@code expandedX}, I32 {@code [tokens * k]}
     * @param expertTokens   receives the assignments per expert, I64 {@code [expertNum]}
     * @param cumulative     whether {@code expertTokens} holds running sums (not offered: throws)
     * @throws FeatureNotSupportedException when {@code cumulative} is true
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
     *
     * @param stream         the Ascend stream the operator is enqueued on
     * @param x              the token rows {@code [tokens, hidden]}
     * @param expertIdx      each token's experts, I32 {@code [tokens, k]}
     * @param expertNum      the number of experts, 1 to 10240
     * @param expertStart    the first expert of the range
     * @param expertEnd      the end (exclusive) of the expert range
     * @param expandedX      receives the rows of {@code x} in expert order {@code [tokens * k, hidden]}
     * @param expandedRowIdx receives each assignment's row in {@code expandedX}, I32 {@code [tokens * k]}
     * @param expertTokens   receives the assignments per expert, I64 {@code [expertEnd - expertStart]}
     * @param cumulative     whether {@code expertTokens} holds running sums (not offered: throws)
     * @throws FeatureNotSupportedException when {@code cumulative} is true
     * @throws OutOfRangeException when {@code expertNum} or the expert range is out of range
     * @throws ShapeException when the shapes or dtypes do not fit together, or outputs alias
     */
    public void initRouting(Stream stream, Tensor x, Tensor expertIdx, int expertNum, int expertStart, int expertEnd,
                            Tensor expandedX, Tensor expandedRowIdx, Tensor expertTokens, boolean cumulative) {
        initRoutingImpl(stream, x, expertIdx, expertNum, expertStart, expertEnd, expandedX, expandedRowIdx,
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
     *
     * @param stream         the Ascend stream the operator is enqueued on
     * @param expandedX      the expert outputs {@code [tokens * k, hidden]}
     * @param expandedRowIdx each assignment's row in {@code expandedX}, I32 {@code [tokens * k]}
     * @param scales         the weight of each assignment {@code [tokens, k]}
     * @param expertIdx      each token's experts, I32 {@code [tokens, k]}, or null
     * @param bias           a bias per expert {@code [experts, hidden]}, or null
     * @param skip1          the first residual {@code [tokens, hidden]}, or null
     * @param skip2          the second residual {@code [tokens, hidden]}, or null
     * @param out            the output {@code [tokens, hidden]}
     */
    public void finalizeRouting(Stream stream, Tensor expandedX, Tensor expandedRowIdx, Tensor scales, Tensor expertIdx,
                                Tensor bias, Tensor skip1, Tensor skip2, Tensor out) {
        finalizeRoutingImpl(stream, expandedX, expandedRowIdx, scales, expertIdx, bias, skip1, skip2, out);
    }

    // ---- implementations: validate, then one aclnn two-phase call on the stream ----

    private void groupedMatmulImpl(Stream stream, Tensor x, Tensor weights, Tensor groupSizes, Tensor out) {
        String op = "groupedMatmul";
        AscendStream s = kernels.check(op, stream, "x", x, "weights", weights, "groupSizes", groupSizes, "out", out);
        AscendKernels.floating(op, "x", x);
        AscendKernels.floating(op, "weights", weights);
        AscendKernels.floating(op, "out", out);
        AscendKernels.contiguous(op, "out", out);
        if (x.rank() != 2 || weights.rank() != 3 || weights.dim(1) != x.dim(1)) {
            throw new ShapeException(op + ": needs x [m, k] and weights [groups, k, n], got x " + x + " and weights " + weights);
        }
        if (groupSizes.dtype() != DType.I64 || groupSizes.rank() != 1 || groupSizes.dim(0) != weights.dim(0)) {
            throw new ShapeException(op + ": groupSizes must be I64 [" + weights.dim(0) + "], got " + groupSizes);
        }
        long[] expected = {x.dim(0), weights.dim(2)};
        if (!Arrays.equals(out.shape(), expected)) {
            throw new ShapeException(op + ": out must be " + Arrays.toString(expected) + ", got " + out);
        }
        if (AscendKernels.overlaps(out, x) || AscendKernels.overlaps(out, weights)) {
            throw new ShapeException(op + ": out must not alias an input");
        }
        if (out.numel() == 0) {
            return;
        }
        DType common = AscendKernels.promote(x.dtype(), weights.dtype());
        if (x.dtype() != common || weights.dtype() != common || out.dtype() != common) {
            // aclnnGroupedMatmulV4 takes x, weight and out of one dtype: compute in the promoted one, then cast.
            Tensor xc = kernels.castTo(s, x, common);
            Tensor wc = kernels.castTo(s, weights, common);
            Tensor oc = out.dtype() == common ? out : kernels.scratch(s, common, out.shape());
            try {
                if (oc != out) {
                    // Rows past the group sizes are not written: they keep out's values (rounded through x's dtype).
                    kernels.cast(s, out, oc);
                }
                groupedMatmulImpl(s, xc, wc, groupSizes, oc);
                if (oc != out) {
                    kernels.cast(s, oc, out);
                }
            } finally {
                AscendKernels.release(xc, x);
                AscendKernels.release(wc, weights);
                AscendKernels.release(oc, out);
            }
            return;
        }
        kernels.run(s, op, o -> {
            MemorySegment lx = o.list(x, s);
            MemorySegment lw = o.list(weights, s);
            MemorySegment gl = o.tensor(groupSizes, s);
            MemorySegment ly = o.list(out, s);
            MemorySegment none = MemorySegment.NULL;
            // splitItem 3 (single x and out tensors), groupType 0 (groups along M), groupListType 1 (sizes), no activation
            return (ws, ex) -> Nn.aclnnGroupedMatmulV4GetWorkspaceSize(lx, lw, none, none, none, none, none, none, gl,
                    none, none, none, 3L, 0L, 1L, 0L, ly, none, none, ws, ex);
        }, Nn::aclnnGroupedMatmulV4);
    }

    private void initRoutingImpl(Stream stream, Tensor x, Tensor expertIdx, int expertNum, int expertStart, int expertEnd,
                        Tensor expandedX, Tensor expandedRowIdx, Tensor expertTokens, boolean cumulative) {
        String op = "initRouting";
        AscendStream s = kernels.check(op, stream, "x", x, "expertIdx", expertIdx, "expandedX", expandedX,
                "expandedRowIdx", expandedRowIdx, "expertTokens", expertTokens);
        if (cumulative) {
            // The released aclnnMoeInitRoutingV3 kernel takes expertTokensNumType 1 (count) or 2 (key-value) only.
            throw new FeatureNotSupportedException("aclnnMoeInitRoutingV3", AclnnStatus.INNER_TILING_ERROR.code(),
                    AclnnStatus.INNER_TILING_ERROR.cName(), "initRouting: cumulative expert token counts (expertTokensNumType 0)"
                    + " are not supported by the released kernel; pass cumulative = false for per-expert counts");
        }
        AscendKernels.floating(op, "x", x);
        for (Object[] named : new Object[][]{{"expandedX", expandedX}, {"expandedRowIdx", expandedRowIdx},
                {"expertTokens", expertTokens}}) {
            AscendKernels.contiguous(op, (String) named[0], (Tensor) named[1]);
        }
        if (x.rank() != 2) {
            throw new ShapeException(op + ": x must be [tokens, hidden], got " + x);
        }
        long tokens = x.dim(0);
        long hidden = x.dim(1);
        if (expertIdx.dtype() != DType.I32 || expertIdx.rank() != 2 || expertIdx.dim(0) != tokens) {
            throw new ShapeException(op + ": expertIdx must be I32 [" + tokens + ", k], got " + expertIdx);
        }
        long k = expertIdx.dim(1);
        if (expertNum < 1 || expertNum > 10240) {
            throw new OutOfRangeException(op + ": expertNum = " + expertNum + " must be in [1, 10240]");
        }
        if (expertStart < 0 || expertEnd <= expertStart || expertEnd > expertNum) {
            throw new OutOfRangeException(op + ": expert range [" + expertStart + ", " + expertEnd
                    + ") must satisfy 0 <= start < end <= expertNum = " + expertNum);
        }
        if (expandedX.dtype() != x.dtype() || !Arrays.equals(expandedX.shape(), new long[]{tokens * k, hidden})) {
            throw new ShapeException(op + ": expandedX must be " + x.dtype() + " [" + tokens * k + ", " + hidden
                    + "], got " + expandedX);
        }
        if (expandedRowIdx.dtype() != DType.I32 || !Arrays.equals(expandedRowIdx.shape(), new long[]{tokens * k})) {
            throw new ShapeException(op + ": expandedRowIdx must be I32 [" + tokens * k + "], got " + expandedRowIdx);
        }
        long experts = expertEnd - expertStart;
        if (expertTokens.dtype() != DType.I64 || !Arrays.equals(expertTokens.shape(), new long[]{experts})) {
            throw new ShapeException(op + ": expertTokens must be I64 [" + experts + "], got " + expertTokens);
        }
        Tensor[] outs = {expandedX, expandedRowIdx, expertTokens};
        for (int i = 0; i < outs.length; i++) {
            if (AscendKernels.overlaps(outs[i], x) || AscendKernels.overlaps(outs[i], expertIdx)) {
                throw new ShapeException(op + ": outputs must not alias an input");
            }
            for (int j = i + 1; j < outs.length; j++) {
                if (AscendKernels.overlaps(outs[i], outs[j])) {
                    throw new ShapeException(op + ": outputs must not alias each other");
                }
            }
        }
        if (tokens * k == 0) {
            kernels.fill(stream, expertTokens, 0);
            return;
        }
        // CANN writes expandedScaleOut even without quantisation; give it scratch space
        Tensor expandedScale = Tensor.allocate(kernels.device(), s, DType.F32, tokens * k);
        try {
            long activeNum = tokens * k;
            long tokensType = cumulative ? 0 : 1;
            kernels.run(s, op, o -> {
                MemorySegment tx = o.tensor(x, s);
                MemorySegment ti = o.tensor(expertIdx, s);
                MemorySegment te = o.tensor(expandedX, s);
                MemorySegment tr = o.tensor(expandedRowIdx, s);
                MemorySegment tc = o.tensor(expertTokens, s);
                MemorySegment ts = o.tensor(expandedScale, s);
                MemorySegment range = o.intArray(expertStart, expertEnd);
                MemorySegment none = MemorySegment.NULL;
                // expertCapacity 0 and dropPadMode 0 (dropless), token counts on, quantMode -1 (none),
                // rowIdxType 0: expandedRowIdx[t * k + j] = row of expandedX that holds token t's copy for expert j
                return (ws, ex) -> Nn.aclnnMoeInitRoutingV3GetWorkspaceSize(tx, ti, none, none, activeNum, 0L,
                        expertNum, 0L, tokensType, true, -1L, range, 0L, te, tr, tc, ts, ws, ex);
            }, Nn::aclnnMoeInitRoutingV3);
        } finally {
            expandedScale.buffer().close();
        }
    }

    private void finalizeRoutingImpl(Stream stream, Tensor expandedX, Tensor expandedRowIdx, Tensor scales, Tensor expertIdx,
                            Tensor bias, Tensor skip1, Tensor skip2, Tensor out) {
        String op = "finalizeRouting";
        AscendStream s = kernels.check(op, stream, "expandedX", expandedX, "expandedRowIdx", expandedRowIdx, "scales", scales,
                "out", out);
        if (bias != null) {
            Objects.requireNonNull(expertIdx, op + ": expertIdx (needed with bias)");
        }
        if (skip2 != null) {
            Objects.requireNonNull(skip1, op + ": skip1 (needed with skip2)");
        }
        for (Object[] named : new Object[][]{{"expertIdx", expertIdx}, {"bias", bias}, {"skip1", skip1}, {"skip2", skip2}}) {
            if (named[1] != null) {
                kernels.check(op, stream, named[0], named[1]);
            }
        }
        AscendKernels.floating(op, "expandedX", expandedX);
        AscendKernels.contiguous(op, "out", out);
        if (scales.rank() != 2 || scales.dtype() != expandedX.dtype()) {
            throw new ShapeException(op + ": scales must be " + expandedX.dtype() + " [tokens, k], got " + scales);
        }
        long tokens = scales.dim(0);
        long k = scales.dim(1);
        if (expandedX.rank() != 2 || expandedX.dim(0) != tokens * k) {
            throw new ShapeException(op + ": expandedX must be [" + tokens * k + ", hidden], got " + expandedX);
        }
        long hidden = expandedX.dim(1);
        if (expandedRowIdx.dtype() != DType.I32 || !Arrays.equals(expandedRowIdx.shape(), new long[]{tokens * k})) {
            throw new ShapeException(op + ": expandedRowIdx must be I32 [" + tokens * k + "], got " + expandedRowIdx);
        }
        long[] rowShape = {tokens, hidden};
        if (out.dtype() != expandedX.dtype() || !Arrays.equals(out.shape(), rowShape)) {
            throw new ShapeException(op + ": out must be " + expandedX.dtype() + " " + Arrays.toString(rowShape)
                    + ", got " + out);
        }
        if (expertIdx != null && (expertIdx.dtype() != DType.I32 || !Arrays.equals(expertIdx.shape(), new long[]{tokens, k}))) {
            throw new ShapeException(op + ": expertIdx must be I32 [" + tokens + ", " + k + "], got " + expertIdx);
        }
        if (bias != null && (bias.dtype() != expandedX.dtype() || bias.rank() != 2 || bias.dim(1) != hidden)) {
            throw new ShapeException(op + ": bias must be " + expandedX.dtype() + " [experts, " + hidden + "], got " + bias);
        }
        for (Object[] named : new Object[][]{{"skip1", skip1}, {"skip2", skip2}}) {
            Tensor t = (Tensor) named[1];
            if (t != null && (t.dtype() != expandedX.dtype() || !Arrays.equals(t.shape(), rowShape))) {
                throw new ShapeException(op + ": " + named[0] + " must be " + expandedX.dtype() + " "
                        + Arrays.toString(rowShape) + ", got " + t);
            }
        }
        for (Tensor in : new Tensor[]{expandedX, expandedRowIdx, scales, expertIdx, bias, skip1, skip2}) {
            if (in != null && AscendKernels.overlaps(out, in)) {
                throw new ShapeException(op + ": out must not alias an input");
            }
        }
        if (out.numel() == 0) {
            return;
        }
        kernels.run(s, op, o -> {
            MemorySegment none = MemorySegment.NULL;
            MemorySegment te = o.tensor(expandedX, s);
            MemorySegment tr = o.tensor(expandedRowIdx, s);
            MemorySegment t1 = skip1 == null ? none : o.tensor(skip1, s);
            MemorySegment t2 = skip2 == null ? none : o.tensor(skip2, s);
            MemorySegment tb = bias == null ? none : o.tensor(bias, s);
            MemorySegment tsc = o.tensor(scales, s);
            MemorySegment ti = expertIdx == null ? none : o.tensor(expertIdx, s);
            MemorySegment to = o.tensor(out, s);
            // dropPadMode 2: dropless, expandedRowIdx in row-major (token, k) order, as initRouting's rowIdxType 0 writes it
            return (ws, ex) -> Nn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(te, tr, t1, t2, tb, tsc, ti, 2L, to, ws, ex);
        }, Nn::aclnnMoeFinalizeRoutingV2);
    }

}
