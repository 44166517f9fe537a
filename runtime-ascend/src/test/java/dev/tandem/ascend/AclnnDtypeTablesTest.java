package dev.tandem.ascend;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.aclnn.Aclnn;
import dev.tandem.ascend.internal.Check;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.tandem.ascend.ffi.acl.AclRt.ACL_BF16;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_BOOL;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_DOUBLE;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_FLOAT;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_FLOAT16;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_INT16;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_INT32;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_INT64;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_INT8;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_UINT16;
import static dev.tandem.ascend.ffi.acl.AclRt.ACL_UINT8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Phase 1 of every bound aclnn operator checks the documented Atlas A2 dtype (and rank/dim) table and answers
 * {@code ACLNN_ERR_PARAM_INVALID} (161002) for a combination outside it, naming the argument and the dtype
 * (VERIFIED.md, "aclnn dtype tables"). Each operator gets one combination that is accepted and one that is not.
 */
@Tag("emulator")
class AclnnDtypeTablesTest {
    private static TandemRuntime rt;
    private static AscendDevice dev;
    private static AscendStream stream;
    private static Tensor backing;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment ws = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);

    @BeforeAll
    static void open() {
        rt = AscendFixture.open(1);
        dev = (AscendDevice) rt.device(0);
        stream = (AscendStream) dev.createStream("tables");
        backing = Tensor.allocate(dev, stream, DType.F32, 4096);
    }

    @AfterAll
    static void close() {
        rt.close();
    }

    /** A contiguous aclTensor of any aclDataType over the shared device buffer. */
    private MemorySegment t(int aclType, long... shape) {
        long[] strides = new long[shape.length];
        long step = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = step;
            step *= shape[d];
        }
        AscendBuffer b = stream.buffer(backing.buffer());
        return Aclnn.aclCreateTensor(arena.allocateFrom(ValueLayout.JAVA_LONG, shape), shape.length, aclType,
                arena.allocateFrom(ValueLayout.JAVA_LONG, strides), 0, AclRt.ACL_FORMAT_ND(),
                arena.allocateFrom(ValueLayout.JAVA_LONG, shape), shape.length, b.pointer(0));
    }

    private MemorySegment scalar(float v) {
        return Aclnn.aclCreateScalar(arena.allocateFrom(ValueLayout.JAVA_FLOAT, v), ACL_FLOAT());
    }

    private MemorySegment list(MemorySegment tensor) {
        return Aclnn.aclCreateTensorList(arena.allocateFrom(ValueLayout.ADDRESS, tensor), 1);
    }

    private static void accepted(int rc, String what) {
        assertThat(rc).as(what + ": " + Check.recentMessage()).isZero();
    }

    private static void rejected(int rc, String operator, String... parts) {
        assertThat(rc).as(operator).isEqualTo(Aclnn.ACLNN_ERR_PARAM_INVALID());
        String message = Check.recentMessage();
        assertThat(message).contains(operator);
        for (String part : parts) {
            assertThat(message).contains(part);
        }
    }

    @Test
    void matmulTakesFloatsAndWritesThePromotedType() {
        dev.bind();
        accepted(Aclnn.aclnnMatmulGetWorkspaceSize(t(ACL_BF16(), 2, 3), t(ACL_BF16(), 3, 4), t(ACL_BF16(), 2, 4), (byte) 0, ws, exec), "bf16");
        accepted(Aclnn.aclnnMatmulGetWorkspaceSize(t(ACL_FLOAT16(), 2, 3), t(ACL_FLOAT16(), 3, 4), t(ACL_FLOAT(), 2, 4), (byte) 0, ws, exec), "f16 -> f32");
        rejected(Aclnn.aclnnMatmulGetWorkspaceSize(t(ACL_INT32(), 2, 3), t(ACL_INT32(), 3, 4), t(ACL_INT32(), 2, 4), (byte) 0, ws, exec),
                "aclnnMatmul", "self", "INT32");
        rejected(Aclnn.aclnnMatmulGetWorkspaceSize(t(ACL_BF16(), 2, 3), t(ACL_BF16(), 3, 4), t(ACL_FLOAT(), 2, 4), (byte) 0, ws, exec),
                "aclnnMatmul", "out", "FLOAT", "BFLOAT16");
        rejected(Aclnn.aclnnMatmulGetWorkspaceSize(t(ACL_FLOAT16(), 2, 3), t(ACL_BF16(), 3, 4), t(ACL_BF16(), 2, 4), (byte) 0, ws, exec),
                "aclnnMatmul", "out", "must be FLOAT");
    }

    @Test
    void addMulMulsAndInplaceMulFollowTheArithmeticTable() {
        dev.bind();
        accepted(Aclnn.aclnnAddGetWorkspaceSize(t(ACL_INT32(), 4), t(ACL_INT32(), 4), scalar(1), t(ACL_INT32(), 4), ws, exec), "int add");
        rejected(Aclnn.aclnnAddGetWorkspaceSize(t(ACL_UINT16(), 4), t(ACL_UINT16(), 4), scalar(1), t(ACL_UINT16(), 4), ws, exec),
                "aclnnAdd", "self", "UINT16");
        rejected(Aclnn.aclnnAddGetWorkspaceSize(t(ACL_FLOAT(), 4), t(ACL_FLOAT(), 4), scalar(1), t(ACL_INT32(), 4), ws, exec),
                "aclnnAdd", "out", "INT32", "cannot hold");
        accepted(Aclnn.aclnnMulGetWorkspaceSize(t(ACL_BF16(), 4), t(ACL_FLOAT(), 4), t(ACL_FLOAT16(), 4), ws, exec), "mixed floats");
        rejected(Aclnn.aclnnMulGetWorkspaceSize(t(ACL_FLOAT(), 4), t(ACL_FLOAT(), 4), t(ACL_BOOL(), 4), ws, exec),
                "aclnnMul", "out", "BOOL");
        rejected(Aclnn.aclnnMulsGetWorkspaceSize(t(ACL_UINT16(), 4), scalar(2), t(ACL_UINT16(), 4), ws, exec),
                "aclnnMuls", "self", "UINT16");
        rejected(Aclnn.aclnnInplaceMulGetWorkspaceSize(t(ACL_INT32(), 4), t(ACL_FLOAT(), 4), ws, exec),
                "aclnnInplaceMul", "selfRef", "INT32", "FLOAT");
    }

    @Test
    void activationsAndNormsTakeTheirDocumentedFloats() {
        dev.bind();
        accepted(Aclnn.aclnnSiluGetWorkspaceSize(t(ACL_BF16(), 4), t(ACL_BF16(), 4), ws, exec), "silu bf16");
        rejected(Aclnn.aclnnSiluGetWorkspaceSize(t(ACL_FLOAT(), 4), t(ACL_BF16(), 4), ws, exec), "aclnnSilu", "out", "BFLOAT16");
        rejected(Aclnn.aclnnSiluGetWorkspaceSize(t(ACL_DOUBLE(), 4), t(ACL_DOUBLE(), 4), ws, exec), "aclnnSilu", "DOUBLE");
        accepted(Aclnn.aclnnSigmoidGetWorkspaceSize(t(ACL_FLOAT(), 4), t(ACL_BF16(), 4), ws, exec), "sigmoid f32 -> bf16");
        rejected(Aclnn.aclnnSigmoidGetWorkspaceSize(t(ACL_INT32(), 4), t(ACL_FLOAT(), 4), ws, exec), "aclnnSigmoid", "self", "INT32");
        accepted(Aclnn.aclnnCosGetWorkspaceSize(t(ACL_INT32(), 4), t(ACL_FLOAT(), 4), ws, exec), "cos of int");
        rejected(Aclnn.aclnnCosGetWorkspaceSize(t(ACL_FLOAT(), 4), t(ACL_INT32(), 4), ws, exec), "aclnnCos", "out", "INT32");
        rejected(Aclnn.aclnnSinGetWorkspaceSize(t(ACL_UINT16(), 4), t(ACL_FLOAT(), 4), ws, exec), "aclnnSin", "self", "UINT16");
        accepted(Aclnn.aclnnSoftmaxGetWorkspaceSize(t(ACL_DOUBLE(), 2, 4), -1, t(ACL_DOUBLE(), 2, 4), ws, exec), "softmax double");
        rejected(Aclnn.aclnnSoftmaxGetWorkspaceSize(t(ACL_INT32(), 2, 4), -1, t(ACL_INT32(), 2, 4), ws, exec), "aclnnSoftmax", "INT32");
        rejected(Aclnn.aclnnSoftmaxGetWorkspaceSize(t(ACL_FLOAT(), 2, 4), 2, t(ACL_FLOAT(), 2, 4), ws, exec), "aclnnSoftmax", "dim 2");
        rejected(Aclnn.aclnnRmsNormGetWorkspaceSize(t(ACL_FLOAT(), 2, 4), t(ACL_FLOAT(), 4), 1e-6, t(ACL_BF16(), 2, 4),
                t(ACL_FLOAT(), 2, 1), ws, exec), "aclnnRmsNorm", "yOut", "BFLOAT16");
        rejected(Aclnn.aclnnRotaryPositionEmbeddingGetWorkspaceSize(t(ACL_INT32(), 1, 2, 1, 4), t(ACL_INT32(), 1, 2, 1, 4),
                t(ACL_INT32(), 1, 2, 1, 4), 0, t(ACL_INT32(), 1, 2, 1, 4), ws, exec), "aclnnRotaryPositionEmbedding", "x", "INT32");
        accepted(Aclnn.aclnnSwiGluGetWorkspaceSize(t(ACL_FLOAT16(), 2, 8), -1, t(ACL_FLOAT16(), 2, 4), ws, exec), "swiglu f16");
        rejected(Aclnn.aclnnSwiGluGetWorkspaceSize(t(ACL_INT32(), 2, 8), -1, t(ACL_INT32(), 2, 4), ws, exec), "aclnnSwiGlu", "x must be");
        rejected(Aclnn.aclnnSwiGluGetWorkspaceSize(t(ACL_FLOAT(), 2, 7), -1, t(ACL_FLOAT(), 2, 3), ws, exec), "aclnnSwiGlu", "even");
        rejected(Aclnn.aclnnSwiGluGetWorkspaceSize(t(ACL_FLOAT(), 2, 8), 2, t(ACL_FLOAT(), 2, 4), ws, exec), "aclnnSwiGlu", "dim");
        rejected(Aclnn.aclnnSwiGluGetWorkspaceSize(t(ACL_FLOAT(), 2, 8), 0, t(ACL_FLOAT(), 2, 4), ws, exec), "aclnnSwiGlu", "halved");
    }

    @Test
    void indexingCastCopyAndFillFollowTheirTables() {
        dev.bind();
        accepted(Aclnn.aclnnIndexSelectGetWorkspaceSize(t(ACL_UINT8(), 4, 2), 0, t(ACL_INT32(), 3), t(ACL_UINT8(), 3, 2), ws, exec), "u8 rows");
        rejected(Aclnn.aclnnIndexSelectGetWorkspaceSize(t(ACL_FLOAT(), 4, 2), 0, t(ACL_INT16(), 3), t(ACL_FLOAT(), 3, 2), ws, exec),
                "aclnnIndexSelect", "index", "INT16");
        rejected(Aclnn.aclnnIndexSelectGetWorkspaceSize(t(ACL_FLOAT(), 4, 2), 0, t(ACL_INT64(), 3), t(ACL_BF16(), 3, 2), ws, exec),
                "aclnnIndexSelect", "out", "BFLOAT16");
        rejected(Aclnn.aclnnIndexSelectGetWorkspaceSize(t(ACL_FLOAT(), 4, 2), 2, t(ACL_INT64(), 3), t(ACL_FLOAT(), 3, 2), ws, exec),
                "aclnnIndexSelect", "dim 2");
        accepted(Aclnn.aclnnIndexAddGetWorkspaceSize(t(ACL_BOOL(), 4, 2), 0, t(ACL_INT64(), 3), t(ACL_BOOL(), 3, 2), scalar(1),
                t(ACL_BOOL(), 4, 2), ws, exec), "bool index add");
        rejected(Aclnn.aclnnIndexAddGetWorkspaceSize(t(ACL_UINT16(), 4, 2), 0, t(ACL_INT64(), 3), t(ACL_UINT16(), 3, 2),
                scalar(1), t(ACL_UINT16(), 4, 2), ws, exec), "aclnnIndexAdd", "self", "UINT16");
        rejected(Aclnn.aclnnIndexAddGetWorkspaceSize(t(ACL_FLOAT(), 4, 2), 0, t(ACL_INT64(), 3), t(ACL_FLOAT16(), 3, 2),
                scalar(1), t(ACL_FLOAT(), 4, 2), ws, exec), "aclnnIndexAdd", "source", "FLOAT16");
        accepted(Aclnn.aclnnCastGetWorkspaceSize(t(ACL_FLOAT(), 4), ACL_UINT16(), t(ACL_UINT16(), 4), ws, exec), "cast to u16");
        rejected(Aclnn.aclnnCastGetWorkspaceSize(t(ACL_FLOAT(), 4), 13 /* ACL_STRING */, t(ACL_FLOAT(), 4), ws, exec), "aclnnCast", "target");
        rejected(Aclnn.aclnnInplaceCopyGetWorkspaceSize(t(ACL_FLOAT(), 4), t(ACL_UINT16(), 4), ws, exec), "aclnnInplaceCopy", "src", "UINT16");
        rejected(Aclnn.aclnnInplaceFillScalarGetWorkspaceSize(t(ACL_UINT16(), 4), scalar(1), ws, exec),
                "aclnnInplaceFillScalar", "selfRef", "UINT16");
        accepted(Aclnn.aclnnInplaceMaskedFillScalarGetWorkspaceSize(t(ACL_BF16(), 2, 4), t(ACL_BOOL(), 2, 4), scalar(0), ws, exec), "bf16 masked fill");
        rejected(Aclnn.aclnnInplaceMaskedFillScalarGetWorkspaceSize(t(ACL_UINT8(), 2, 4), t(ACL_BOOL(), 2, 4), scalar(0), ws, exec),
                "aclnnInplaceMaskedFillScalar", "selfRef", "UINT8");
        rejected(Aclnn.aclnnInplaceMaskedFillScalarGetWorkspaceSize(t(ACL_FLOAT(), 2, 4), t(ACL_UINT8(), 2, 4), scalar(0), ws, exec),
                "aclnnInplaceMaskedFillScalar", "mask", "UINT8");
    }

    @Test
    void groupedMatmulTakesOneFloatTypeForXWeightAndOut() {
        dev.bind();
        MemorySegment none = MemorySegment.NULL;
        rejected(Aclnn.aclnnGroupedMatmulV4GetWorkspaceSize(list(t(ACL_FLOAT16(), 4, 8)), list(t(ACL_BF16(), 2, 8, 3)),
                none, none, none, none, none, none, t(ACL_INT64(), 2), none, none, none, 3, 0, 1, 0,
                list(t(ACL_FLOAT16(), 4, 3)), none, none, ws, exec), "aclnnGroupedMatmulV4", "weight", "BFLOAT16");
        rejected(Aclnn.aclnnGroupedMatmulV4GetWorkspaceSize(list(t(ACL_INT8(), 4, 8)), list(t(ACL_INT8(), 2, 8, 3)),
                none, none, none, none, none, none, t(ACL_INT64(), 2), none, none, none, 3, 0, 1, 0,
                list(t(ACL_INT8(), 4, 3)), none, none, ws, exec), "aclnnGroupedMatmulV4", "x", "INT8");
        accepted(Aclnn.aclnnGroupedMatmulV4GetWorkspaceSize(list(t(ACL_BF16(), 4, 8)), list(t(ACL_BF16(), 2, 8, 3)),
                none, none, none, none, none, none, t(ACL_INT64(), 2), none, none, none, 3, 0, 1, 0,
                list(t(ACL_BF16(), 4, 3)), none, none, ws, exec), "bf16 gmm");
    }
}
