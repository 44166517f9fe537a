package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.aclnn.Aclnn;

import java.lang.foreign.MemorySegment;

/**
 * Checked aclnn object and operator calls (libnnopbase, libopapi) for the safe classes, which never touch the
 * generated {@code ffi} packages.
 * Each method takes the C arguments, calls the downcall and turns a failure code into an exception
 * ({@link Check}). {@link Raw} returns the code instead, for the few callers that handle specific codes
 * (timeouts, out-of-memory) or clean up on a path that must not throw.
 */
public final class Nn {
    private Nn() {
    }

    public static void aclnnAdd(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnAdd", Aclnn.aclnnAdd(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnAddGetWorkspaceSize(MemorySegment self, MemorySegment other, MemorySegment alpha,
            MemorySegment out, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnAddGetWorkspaceSize", Aclnn.aclnnAddGetWorkspaceSize(self, other, alpha, out,
                workspaceSize, executor));
    }

    public static void aclnnCast(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnCast", Aclnn.aclnnCast(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnCastGetWorkspaceSize(MemorySegment self, int dtype, MemorySegment out,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnCastGetWorkspaceSize", Aclnn.aclnnCastGetWorkspaceSize(self, dtype, out, workspaceSize,
                executor));
    }

    public static void aclnnCos(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnCos", Aclnn.aclnnCos(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnCosGetWorkspaceSize(MemorySegment self, MemorySegment out, MemorySegment workspaceSize,
            MemorySegment executor) {
        Check.aclnn("aclnnCosGetWorkspaceSize", Aclnn.aclnnCosGetWorkspaceSize(self, out, workspaceSize, executor));
    }

    public static void aclnnGroupedMatmulV4(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnGroupedMatmulV4", Aclnn.aclnnGroupedMatmulV4(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnGroupedMatmulV4GetWorkspaceSize(MemorySegment x, MemorySegment weight,
            MemorySegment biasOptional, MemorySegment scaleOptional, MemorySegment offsetOptional,
            MemorySegment antiquantScaleOptional, MemorySegment antiquantOffsetOptional,
            MemorySegment perTokenScaleOptional, MemorySegment groupListOptional,
            MemorySegment activationInputOptional, MemorySegment activationQuantScaleOptional,
            MemorySegment activationQuantOffsetOptional, long splitItem, long groupType, long groupListType,
            long actType, MemorySegment out, MemorySegment activationFeatureOutOptional,
            MemorySegment dynQuantScaleOutOptional, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnGroupedMatmulV4GetWorkspaceSize", Aclnn.aclnnGroupedMatmulV4GetWorkspaceSize(x, weight,
                biasOptional, scaleOptional, offsetOptional, antiquantScaleOptional, antiquantOffsetOptional,
                perTokenScaleOptional, groupListOptional, activationInputOptional, activationQuantScaleOptional,
                activationQuantOffsetOptional, splitItem, groupType, groupListType, actType, out,
                activationFeatureOutOptional, dynQuantScaleOutOptional, workspaceSize, executor));
    }

    public static void aclnnIndexAdd(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnIndexAdd", Aclnn.aclnnIndexAdd(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnIndexAddGetWorkspaceSize(MemorySegment self, long dim, MemorySegment index,
            MemorySegment source, MemorySegment alpha, MemorySegment out, MemorySegment workspaceSize,
            MemorySegment executor) {
        Check.aclnn("aclnnIndexAddGetWorkspaceSize", Aclnn.aclnnIndexAddGetWorkspaceSize(self, dim, index, source,
                alpha, out, workspaceSize, executor));
    }

    public static void aclnnIndexSelect(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnIndexSelect", Aclnn.aclnnIndexSelect(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnIndexSelectGetWorkspaceSize(MemorySegment self, long dim, MemorySegment index,
            MemorySegment out, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnIndexSelectGetWorkspaceSize", Aclnn.aclnnIndexSelectGetWorkspaceSize(self, dim, index, out,
                workspaceSize, executor));
    }

    public static void aclnnInplaceCopy(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnInplaceCopy", Aclnn.aclnnInplaceCopy(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnInplaceCopyGetWorkspaceSize(MemorySegment selfRef, MemorySegment src,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnInplaceCopyGetWorkspaceSize", Aclnn.aclnnInplaceCopyGetWorkspaceSize(selfRef, src,
                workspaceSize, executor));
    }

    public static void aclnnInplaceFillScalar(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnInplaceFillScalar", Aclnn.aclnnInplaceFillScalar(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnInplaceFillScalarGetWorkspaceSize(MemorySegment selfRef, MemorySegment value,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnInplaceFillScalarGetWorkspaceSize", Aclnn.aclnnInplaceFillScalarGetWorkspaceSize(selfRef,
                value, workspaceSize, executor));
    }

    public static void aclnnInplaceMaskedFillScalar(MemorySegment workspace, long workspaceSize,
            MemorySegment executor, MemorySegment stream) {
        Check.aclnn("aclnnInplaceMaskedFillScalar", Aclnn.aclnnInplaceMaskedFillScalar(workspace, workspaceSize,
                executor, stream));
    }

    public static void aclnnInplaceMaskedFillScalarGetWorkspaceSize(MemorySegment selfRef, MemorySegment mask,
            MemorySegment value, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnInplaceMaskedFillScalarGetWorkspaceSize",
                Aclnn.aclnnInplaceMaskedFillScalarGetWorkspaceSize(selfRef, mask, value, workspaceSize, executor));
    }

    public static void aclnnInplaceMul(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnInplaceMul", Aclnn.aclnnInplaceMul(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnInplaceMulGetWorkspaceSize(MemorySegment selfRef, MemorySegment other,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnInplaceMulGetWorkspaceSize", Aclnn.aclnnInplaceMulGetWorkspaceSize(selfRef, other,
                workspaceSize, executor));
    }

    public static void aclnnMatmul(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnMatmul", Aclnn.aclnnMatmul(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnMatmulGetWorkspaceSize(MemorySegment self, MemorySegment mat2, MemorySegment out,
            CubeMathType cubeMathType, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnMatmulGetWorkspaceSize", Aclnn.aclnnMatmulGetWorkspaceSize(self, mat2, out,
                cubeMathType.code(), workspaceSize, executor));
    }

    public static void aclnnMoeFinalizeRoutingV2(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnMoeFinalizeRoutingV2", Aclnn.aclnnMoeFinalizeRoutingV2(workspace, workspaceSize, executor,
                stream));
    }

    public static void aclnnMoeFinalizeRoutingV2GetWorkspaceSize(MemorySegment expandedX,
            MemorySegment expandedRowIdx, MemorySegment x1Optional, MemorySegment x2Optional,
            MemorySegment biasOptional, MemorySegment scalesOptional, MemorySegment expertIdxOptional,
            long dropPadMode, MemorySegment out, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnMoeFinalizeRoutingV2GetWorkspaceSize",
                Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(expandedX, expandedRowIdx, x1Optional, x2Optional,
                biasOptional, scalesOptional, expertIdxOptional, dropPadMode, out, workspaceSize, executor));
    }

    public static void aclnnMoeGatingTopK(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnMoeGatingTopK", Aclnn.aclnnMoeGatingTopK(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnMoeGatingTopKGetWorkspaceSize(MemorySegment x, MemorySegment biasOptional, long k,
            long kGroup, long groupCount, long groupSelectMode, long renorm, long normType, boolean outFlag,
            double routedScalingFactor, double eps, MemorySegment yOut, MemorySegment expertIdxOut,
            MemorySegment outOut, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnMoeGatingTopKGetWorkspaceSize", Aclnn.aclnnMoeGatingTopKGetWorkspaceSize(x, biasOptional, k,
                kGroup, groupCount, groupSelectMode, renorm, normType, outFlag, routedScalingFactor, eps, yOut,
                expertIdxOut, outOut, workspaceSize, executor));
    }

    public static void aclnnMoeInitRoutingV3(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnMoeInitRoutingV3", Aclnn.aclnnMoeInitRoutingV3(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnMoeInitRoutingV3GetWorkspaceSize(MemorySegment x, MemorySegment expertIdx,
            MemorySegment scaleOptional, MemorySegment offsetOptional, long activeNum, long expertCapacity,
            long expertNum, long dropPadMode, long expertTokensNumType, boolean expertTokensNumFlag, long quantMode,
            MemorySegment activeExpertRangeOptional, long rowIdxType, MemorySegment expandedXOut,
            MemorySegment expandedRowIdxOut, MemorySegment expertTokensCountOrCumsumOut,
            MemorySegment expandedScaleOut, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnMoeInitRoutingV3GetWorkspaceSize", Aclnn.aclnnMoeInitRoutingV3GetWorkspaceSize(x,
                expertIdx, scaleOptional, offsetOptional, activeNum, expertCapacity, expertNum, dropPadMode,
                expertTokensNumType, expertTokensNumFlag, quantMode, activeExpertRangeOptional, rowIdxType,
                expandedXOut, expandedRowIdxOut, expertTokensCountOrCumsumOut, expandedScaleOut, workspaceSize,
                executor));
    }

    public static void aclnnMul(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnMul", Aclnn.aclnnMul(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnMulGetWorkspaceSize(MemorySegment self, MemorySegment other, MemorySegment out,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnMulGetWorkspaceSize", Aclnn.aclnnMulGetWorkspaceSize(self, other, out, workspaceSize,
                executor));
    }

    public static void aclnnMuls(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnMuls", Aclnn.aclnnMuls(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnMulsGetWorkspaceSize(MemorySegment self, MemorySegment other, MemorySegment out,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnMulsGetWorkspaceSize", Aclnn.aclnnMulsGetWorkspaceSize(self, other, out, workspaceSize,
                executor));
    }

    public static void aclnnRmsNorm(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnRmsNorm", Aclnn.aclnnRmsNorm(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnRmsNormGetWorkspaceSize(MemorySegment x, MemorySegment gamma, double epsilon,
            MemorySegment yOut, MemorySegment rstdOut, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnRmsNormGetWorkspaceSize", Aclnn.aclnnRmsNormGetWorkspaceSize(x, gamma, epsilon, yOut,
                rstdOut, workspaceSize, executor));
    }

    public static void aclnnRotaryPositionEmbedding(MemorySegment workspace, long workspaceSize,
            MemorySegment executor, MemorySegment stream) {
        Check.aclnn("aclnnRotaryPositionEmbedding", Aclnn.aclnnRotaryPositionEmbedding(workspace, workspaceSize,
                executor, stream));
    }

    public static void aclnnRotaryPositionEmbeddingGetWorkspaceSize(MemorySegment x, MemorySegment cos,
            MemorySegment sin, long mode, MemorySegment out, MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnRotaryPositionEmbeddingGetWorkspaceSize",
                Aclnn.aclnnRotaryPositionEmbeddingGetWorkspaceSize(x, cos, sin, mode, out, workspaceSize, executor));
    }

    public static void aclnnSigmoid(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnSigmoid", Aclnn.aclnnSigmoid(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnSigmoidGetWorkspaceSize(MemorySegment self, MemorySegment out,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnSigmoidGetWorkspaceSize", Aclnn.aclnnSigmoidGetWorkspaceSize(self, out, workspaceSize,
                executor));
    }

    public static void aclnnSilu(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnSilu", Aclnn.aclnnSilu(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnSiluGetWorkspaceSize(MemorySegment self, MemorySegment out, MemorySegment workspaceSize,
            MemorySegment executor) {
        Check.aclnn("aclnnSiluGetWorkspaceSize", Aclnn.aclnnSiluGetWorkspaceSize(self, out, workspaceSize, executor));
    }

    public static void aclnnSwiGlu(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnSwiGlu", Aclnn.aclnnSwiGlu(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnSwiGluGetWorkspaceSize(MemorySegment x, long dim, MemorySegment out,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnSwiGluGetWorkspaceSize", Aclnn.aclnnSwiGluGetWorkspaceSize(x, dim, out, workspaceSize, executor));
    }

    public static void aclnnSin(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnSin", Aclnn.aclnnSin(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnSinGetWorkspaceSize(MemorySegment self, MemorySegment out, MemorySegment workspaceSize,
            MemorySegment executor) {
        Check.aclnn("aclnnSinGetWorkspaceSize", Aclnn.aclnnSinGetWorkspaceSize(self, out, workspaceSize, executor));
    }

    public static void aclnnSoftmax(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnSoftmax", Aclnn.aclnnSoftmax(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnSoftmaxGetWorkspaceSize(MemorySegment self, long dim, MemorySegment out,
            MemorySegment workspaceSize, MemorySegment executor) {
        Check.aclnn("aclnnSoftmaxGetWorkspaceSize", Aclnn.aclnnSoftmaxGetWorkspaceSize(self, dim, out, workspaceSize,
                executor));
    }

    public static void aclnnTopk(MemorySegment workspace, long workspaceSize, MemorySegment executor,
            MemorySegment stream) {
        Check.aclnn("aclnnTopk", Aclnn.aclnnTopk(workspace, workspaceSize, executor, stream));
    }

    public static void aclnnTopkGetWorkspaceSize(MemorySegment self, long k, long dim, boolean largest,
            boolean sorted, MemorySegment valuesOut, MemorySegment indicesOut, MemorySegment workspaceSize,
            MemorySegment executor) {
        Check.aclnn("aclnnTopkGetWorkspaceSize", Aclnn.aclnnTopkGetWorkspaceSize(self, k, dim, largest, sorted,
                valuesOut, indicesOut, workspaceSize, executor));
    }

    public static MemorySegment aclCreateIntArray(MemorySegment value, long size) {
        return Check.aclnnObject("aclCreateIntArray", Aclnn.aclCreateIntArray(value, size));
    }

    public static MemorySegment aclCreateScalar(MemorySegment value, int dataType) {
        return Check.aclnnObject("aclCreateScalar", Aclnn.aclCreateScalar(value, dataType));
    }

    public static MemorySegment aclCreateTensor(MemorySegment viewDims, long viewDimsNum, int dataType,
            MemorySegment stride, long offset, int format, MemorySegment storageDims, long storageDimsNum,
            MemorySegment tensorData) {
        return Check.aclnnObject("aclCreateTensor", Aclnn.aclCreateTensor(viewDims, viewDimsNum, dataType, stride,
                offset, format, storageDims, storageDimsNum, tensorData));
    }

    /** The downcalls themselves, returning the code (or pointer) unchecked. */
    public static final class Raw {
        private Raw() {
        }

        public static MemorySegment aclCreateTensorList(MemorySegment value, long size) {
            return Aclnn.aclCreateTensorList(value, size);
        }

        public static int aclDestroyIntArray(MemorySegment array) {
            return Aclnn.aclDestroyIntArray(array);
        }

        public static int aclDestroyScalar(MemorySegment scalar) {
            return Aclnn.aclDestroyScalar(scalar);
        }

        public static int aclDestroyTensor(MemorySegment tensor) {
            return Aclnn.aclDestroyTensor(tensor);
        }

        public static int aclDestroyTensorList(MemorySegment array) {
            return Aclnn.aclDestroyTensorList(array);
        }

    }

}
