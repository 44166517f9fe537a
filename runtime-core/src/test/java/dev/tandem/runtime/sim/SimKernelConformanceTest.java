package dev.tandem.runtime.sim;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.KernelConformance;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

/** The kernel conformance suite on the simulated backend: the validation cases; value checks are listed here. */
class SimKernelConformanceTest extends KernelConformance {
    private static final String COMPUTES = "checks computed values; simulated kernels cost time and compute nothing";

    @RegisterExtension
    static final Extension LEFT_OUT = SimConformance.skips(Map.ofEntries(
            Map.entry("matmulMatchesReferenceForEveryDtypeAndTranspose", COMPUTES),
            Map.entry("matmulTakesStridedViewsAndOffsets", COMPUTES),
            Map.entry("matmulAcceptsDisjointSlicesOfOneBuffer", COMPUTES),
            Map.entry("batchedMatmulWithSharedAndPerBatchRightOperand", COMPUTES),
            Map.entry("elementwiseArithmeticBroadcastsSuffixes", COMPUTES),
            Map.entry("elementwiseReadsTransposedInputsAndUpdatesInPlace", COMPUTES),
            Map.entry("activationsMatchTheirDefinitions", COMPUTES),
            Map.entry("swigluOfOneTensorGatesWithTheFirstHalfAlongDim", COMPUTES),
            Map.entry("rmsNormNormalizesEachRow", COMPUTES),
            Map.entry("softmaxPlainAndCausal", COMPUTES),
            Map.entry("ropeRotatesInterleavedPairs", COMPUTES),
            Map.entry("topkIsDescendingWithTiesToTheLowerIndex", COMPUTES),
            Map.entry("indexSelectGathersRowsAndEmbeddingIsIndexSelect", COMPUTES),
            Map.entry("indexAddAccumulatesRepeatedIndicesInAscendingOrder", COMPUTES),
            Map.entry("castsRoundTripAndRoundOnce", COMPUTES),
            Map.entry("copyMakesStridedViewsContiguous", COMPUTES),
            Map.entry("fillConvertsTheValueToTheDtype", COMPUTES),
            Map.entry("attentionMatchesReferenceWithCausalOffsetsSharedKeysAndRopeParts", COMPUTES),
            Map.entry("attentionTakesTransposedQueryViewsAndRejectsBadShapes", COMPUTES
                    + " (its value check comes before its shape checks)"),
            Map.entry("decodeAttentionGivesEachSequenceItsOwnAttention", COMPUTES),
            Map.entry("copyEachCopiesEveryPairInOrder", COMPUTES),
            Map.entry("moeGatingTopKMatchesAPlainReference", COMPUTES),
            Map.entry("moeDispatchSortsAssignmentsByExpertStably", COMPUTES
                    + " (a simulated moeDispatch writes the routing model's counts, not the sorted rows)"),
            Map.entry("indexOutOfRangeFailsTheStreamWhenTheWorkRuns", "the bad index is a value the kernel reads when it runs; simulated kernels read no values"),
            Map.entry("castOfAnI64ThatDoesNotFitI32FailsTheStream", "the overflow is a value the kernel reads when it runs; simulated kernels read no values")));

    @Override
    protected TandemRuntime openRuntime(int devices) {
        return SimConformance.open(devices);
    }
}
