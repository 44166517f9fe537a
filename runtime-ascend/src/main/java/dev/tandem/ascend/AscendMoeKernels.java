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
}
