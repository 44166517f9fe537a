package dev.tandem.ascend;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.aclnn.Aclnn;
import dev.tandem.ascend.internal.Check;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MoE routing operators through the raw bindings: the row-index conventions the safe layer does not use
 * (rowIdxType 1, column-major finalize) and the documented error code for unsupported modes.
 */
@Tag("emulator")
class EmulatorMoeAbiTest {
    private static final int TILING_ERROR = Aclnn.ACLNN_ERR_INNER_TILING_ERROR();

    /** tokens 3, k 2, experts 3, hidden 1; x[t] = t + 1. */
    private static final int[] IDS = {2, 0, 1, 0, 2, 1};
    // stable sort of the flat indices by expert: expert 0 -> 1, 3; expert 1 -> 2, 5; expert 2 -> 0, 4
    private static final int[] SORTED = {1, 3, 2, 5, 0, 4};

    private record Env(AscendDevice dev, AscendStream s, Arena arena) {
        MemorySegment tensor(Tensor t) {
            AscendBuffer b = s.buffer(t.buffer());
            long[] shape = t.shape();
            return Aclnn.aclCreateTensor(arena.allocateFrom(ValueLayout.JAVA_LONG, shape), shape.length,
                    AscendKernels.aclType(t.dtype()), arena.allocateFrom(ValueLayout.JAVA_LONG, t.strides()), 0,
                    AclRt.ACL_FORMAT_ND(), arena.allocateFrom(ValueLayout.JAVA_LONG, shape), shape.length, b.pointer(0));
        }

        /** Phase 1 result code; on success runs phase 2 and waits. */
        int run(MemorySegment ws, MemorySegment exec, int rc, boolean init) {
            if (rc == 0) {
                long size = ws.get(ValueLayout.JAVA_LONG, 0);
                MemorySegment w = size > 0 ? Tensor.allocate(dev, s, DType.U8, size).buffer() instanceof AscendBuffer b
                        ? b.pointer(0) : MemorySegment.NULL : MemorySegment.NULL;
                MemorySegment e = exec.get(ValueLayout.ADDRESS, 0);
                int rc2 = init ? Aclnn.aclnnMoeInitRoutingV3(w, size, e, s.handle())
                        : Aclnn.aclnnMoeFinalizeRoutingV2(w, size, e, s.handle());
                Check.aclnn("phase 2", rc2);
                s.synchronize();
            }
            return rc;
        }
    }

    @Test
    void initRoutingRowIndexTypesAndUnsupportedModes() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("abi");
            Env env = new Env(dev, s, arena);
            Tensor x = Tensor.allocate(dev, s, DType.F32, 3, 1);
            Tensor ids = Tensor.allocate(dev, s, DType.I32, 3, 2);
            Tensor ex = Tensor.allocate(dev, s, DType.F32, 6, 1);
            Tensor rows = Tensor.allocate(dev, s, DType.I32, 6);
            Tensor counts = Tensor.allocate(dev, s, DType.I64, 3);
            s.upload(new float[]{1, 2, 3}, x);
            s.upload(IDS, ids);
            dev.bind();
            MemorySegment tx = env.tensor(x), ti = env.tensor(ids), te = env.tensor(ex), tr = env.tensor(rows),
                    tc = env.tensor(counts);
            MemorySegment range = Aclnn.aclCreateIntArray(arena.allocateFrom(ValueLayout.JAVA_LONG, 0, 3), 2);
            MemorySegment ws = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment none = MemorySegment.NULL;
            // dropPadMode 1 (drop/pad), quantMode 0 (static quantisation), tokens type 0 (cumsum: not in the released
            // kernel), rowIdxType 2
            long[][] unsupported = {{1, 1, -1, 0}, {0, 1, 0, 0}, {0, 0, -1, 0}, {0, 1, -1, 2}};
            for (long[] u : unsupported) {
                assertThat(Aclnn.aclnnMoeInitRoutingV3GetWorkspaceSize(tx, ti, none, none, 6, 0, 3, u[0], u[1], true,
                        u[2], range, u[3], te, tr, tc, none, ws, exec)).as("modes %s", java.util.Arrays.toString(u))
                        .isEqualTo(TILING_ERROR);
            }
            // rowIdxType 1: expandedRowIdx[i] is the flat source index of expanded row i
            assertThat(env.run(ws, exec, Aclnn.aclnnMoeInitRoutingV3GetWorkspaceSize(tx, ti, none, none, 6, 0, 3, 0, 1,
                    true, -1, range, 1, te, tr, tc, none, ws, exec), true)).isZero();
            int[] got = new int[6];
            s.download(rows, got);
            s.synchronize();
            assertThat(got).containsExactly(SORTED);
            assertThat(s.readFloats(ex)).containsExactly(1, 2, 2, 3, 1, 3);   // x[SORTED[i] / k]
            long[] c = new long[3];
            s.download(counts, c);
            s.synchronize();
            assertThat(c).containsExactly(2, 2, 2);
            // rowIdxType 0: the inverse permutation
            assertThat(env.run(ws, exec, Aclnn.aclnnMoeInitRoutingV3GetWorkspaceSize(tx, ti, none, none, 6, 0, 3, 0, 1,
                    true, -1, range, 0, te, tr, tc, none, ws, exec), true)).isZero();
            s.download(rows, got);
            s.synchronize();
            int[] inverse = new int[6];
            for (int i = 0; i < 6; i++) {
                inverse[SORTED[i]] = i;
            }
            assertThat(got).containsExactly(inverse);
            for (MemorySegment t : new MemorySegment[]{tx, ti, te, tr, tc}) {
                Aclnn.aclDestroyTensor(t);
            }
            Aclnn.aclDestroyIntArray(range);
        }
    }

    @Test
    void finalizeRoutingReadsColumnMajorIndicesInModeZeroAndRowMajorInModeTwo() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("abi");
            Env env = new Env(dev, s, arena);
            Tensor ex = Tensor.allocate(dev, s, DType.F32, 4, 1);      // tokens 2, k 2
            Tensor rows = Tensor.allocate(dev, s, DType.I32, 4);
            Tensor out = Tensor.allocate(dev, s, DType.F32, 2, 1);
            s.upload(new float[]{1, 10, 100, 1000}, ex);
            s.upload(new int[]{0, 1, 2, -1}, rows);
            dev.bind();
            MemorySegment te = env.tensor(ex), tr = env.tensor(rows), to = env.tensor(out);
            MemorySegment ws = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment none = MemorySegment.NULL;
            assertThat(Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(te, tr, none, none, none, none, none, 4, to, ws,
                    exec)).as("dropPadMode 4").isEqualTo(TILING_ERROR);
            // without scales or expertIdx, K is 1: each token reads one index
            Tensor ex2 = Tensor.allocate(dev, s, DType.F32, 2, 1);
            Tensor rows2 = Tensor.allocate(dev, s, DType.I32, 2);
            s.upload(new float[]{5, 7}, ex2);
            s.upload(new int[]{1, -1}, rows2);
            dev.bind();
            MemorySegment te2 = env.tensor(ex2), tr2 = env.tensor(rows2);
            assertThat(env.run(ws, exec, Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(te2, tr2, none, none, none,
                    none, none, 0, to, ws, exec), false)).isZero();
            assertThat(s.readFloats(out)).containsExactly(7, 0);
            // K = 2 through scales of ones: mode 0 reads index k * tokens + t, mode 2 reads t * k + k
            Tensor scales = Tensor.allocate(dev, s, DType.F32, 2, 2);
            s.upload(new float[]{1, 1, 1, 1}, scales);
            dev.bind();
            MemorySegment tsc = env.tensor(scales);
            assertThat(env.run(ws, exec, Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(te, tr, none, none, none, tsc,
                    none, 0, to, ws, exec), false)).isZero();
            assertThat(s.readFloats(out)).containsExactly(1 + 100, 10 + 0);   // t0: idx[0], idx[2]; t1: idx[1], idx[3]=-1
            assertThat(env.run(ws, exec, Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(te, tr, none, none, none, tsc,
                    none, 2, to, ws, exec), false)).isZero();
            assertThat(s.readFloats(out)).containsExactly(1 + 10, 100 + 0);   // t0: idx[0], idx[1]; t1: idx[2], idx[3]=-1
            for (MemorySegment t : new MemorySegment[]{te, tr, to, te2, tr2, tsc}) {
                Aclnn.aclDestroyTensor(t);
            }
        }
    }

    @Test
    void finalizeRoutingDropPadReadsExpertCapacitySlotsAndAddsBiasForDroppedRows() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("abi");
            Env env = new Env(dev, s, arena);
            Tensor ex = Tensor.allocate(dev, s, DType.F32, 2, 2, 1);   // experts 2, capacity 2, hidden 1
            Tensor rows = Tensor.allocate(dev, s, DType.I32, 2);       // tokens 2, k 1
            Tensor ids = Tensor.allocate(dev, s, DType.I32, 2, 1);
            Tensor bias = Tensor.allocate(dev, s, DType.F32, 2, 1);
            Tensor out = Tensor.allocate(dev, s, DType.F32, 2, 1);
            s.upload(new float[]{1, 10, 100, 1000}, ex);
            s.upload(new int[]{3, -1}, rows);                          // token 1 was dropped
            s.upload(new int[]{1, 0}, ids);
            s.upload(new float[]{5, 7}, bias);
            dev.bind();
            MemorySegment te = env.tensor(ex), tr = env.tensor(rows), ti = env.tensor(ids), tb = env.tensor(bias),
                    to = env.tensor(out);
            MemorySegment ws = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment none = MemorySegment.NULL;
            assertThat(env.run(ws, exec, Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(te, tr, none, none, tb, none,
                    ti, 3, to, ws, exec), false)).isZero();
            assertThat(s.readFloats(out)).containsExactly(1000 + 7, 0 + 5);   // slot e*C + c; -1 adds only the bias
            assertThat(Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(te, tr, none, none, tb, none, none, 3, to, ws,
                    exec)).as("bias without expertIdx").isEqualTo(Aclnn.ACLNN_ERR_PARAM_INVALID());
            for (MemorySegment t : new MemorySegment[]{te, tr, ti, tb, to}) {
                Aclnn.aclDestroyTensor(t);
            }
        }
    }
}
