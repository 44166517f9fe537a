package dev.tandem.ascend;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.aclnn.Aclnn;
import dev.tandem.ascend.ffi.hccl.Hccl;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.Hc;
import dev.tandem.ascend.internal.NativeThreads;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every documented CANN rule the emulator enforces (VERIFIED.md, "Rules the emulator enforces") fires through the raw
 * bindings with CANN's code. The numbers in the test names are the rows of issue 10's table.
 */
@Tag("emulator")
class StrictEmulatorRulesTest {

    @AfterEach
    void resetSwitches() {
        Emulator.configure("sync_event_limit", 65536);
        Emulator.configure("hccl_config_capability", Hccl.HCCL_COMM_CONFIG_RESERVED());
        Emulator.configure("copy_alignment", 0);
        Emulator.configure("connect_timeout_ms", 20000);
        Emulator.failures("");
    }

    private static MemorySegment address(Arena arena) {
        return arena.allocate(ValueLayout.ADDRESS);
    }

    private static MemorySegment tensor(Arena arena, AscendStream s, Tensor t) {
        AscendBuffer b = s.buffer(t.buffer());
        long[] shape = t.shape();
        return Aclnn.aclCreateTensor(arena.allocateFrom(ValueLayout.JAVA_LONG, shape), shape.length,
                AscendKernels.aclType(t.dtype()), arena.allocateFrom(ValueLayout.JAVA_LONG, t.strides()), 0,
                AclRt.ACL_FORMAT_ND(), arena.allocateFrom(ValueLayout.JAVA_LONG, shape), shape.length, b.pointer(0));
    }

    @Test
    void row1FirstCollectiveBlocksUntilEveryRankCallsIt() throws Exception {
        Emulator.configure("connect_timeout_ms", 300);
        try (TandemRuntime rt = AscendFixture.open(2); Arena arena = Arena.ofConfined()) {
            AscendDevice d0 = (AscendDevice) rt.device(0);
            AscendDevice d1 = (AscendDevice) rt.device(1);
            AscendStream s0 = (AscendStream) d0.createStream("r0");
            AscendStream s1 = (AscendStream) d1.createStream("r1");
            MemorySegment ids = arena.allocateFrom(ValueLayout.JAVA_INT, 0, 1);
            MemorySegment comms = arena.allocate(ValueLayout.ADDRESS, 2);
            d0.bind();
            Check.hccl("HcclCommInitAll", Hccl.HcclCommInitAll(2, ids, comms));
            MemorySegment c0 = comms.getAtIndex(ValueLayout.ADDRESS, 0);
            MemorySegment c1 = comms.getAtIndex(ValueLayout.ADDRESS, 1);
            // One thread issuing rank 0's first operation: it waits for rank 1 until the connect timeout.
            long start = System.nanoTime();
            assertThat(Hccl.HcclBarrier(c0, s0.handle())).isEqualTo(Hccl.HCCL_E_TIMEOUT());
            assertThat(System.nanoTime() - start).isGreaterThan(250_000_000L);
            assertThat(Check.recentMessage()).contains("first call");
            // One thread per rank: both first calls return.
            AtomicInteger rc1 = new AtomicInteger(-1);
            Thread t = Thread.ofPlatform().start(() -> {
                d1.bind();
                rc1.set(Hccl.HcclBarrier(c1, s1.handle()));
            });
            d0.bind();
            assertThat(Hccl.HcclBarrier(c0, s0.handle())).isZero();
            t.join();
            assertThat(rc1.get()).isZero();
            s0.synchronize();
            s1.synchronize();
            d0.bind();
            Check.hccl("HcclCommDestroy", Hccl.HcclCommDestroy(c0));
            d1.bind();
            Check.hccl("HcclCommDestroy", Hccl.HcclCommDestroy(c1));
        }
    }

    @Test
    void rows2to4AclnnRejectsRstdOfRankOneRopeCosInF32ForBf16AndInt32TopkIndices() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("aclnn");
            MemorySegment ws = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment exec = address(arena);
            int invalid = Aclnn.ACLNN_ERR_PARAM_INVALID();
            Tensor x = Tensor.allocate(dev, s, DType.F32, 4, 8);
            Tensor g = Tensor.allocate(dev, s, DType.F32, 8);
            Tensor y = Tensor.allocate(dev, s, DType.F32, 4, 8);
            Tensor rstd1 = Tensor.allocate(dev, s, DType.F32, 4);
            Tensor rstd2 = Tensor.allocate(dev, s, DType.F32, 4, 1);
            dev.bind();
            assertThat(Aclnn.aclnnRmsNormGetWorkspaceSize(tensor(arena, s, x), tensor(arena, s, g), 1e-6,
                    tensor(arena, s, y), tensor(arena, s, rstd1), ws, exec)).as("rstd [rows]").isEqualTo(invalid);
            assertThat(Check.recentMessage()).contains("rstd must have x's rank");
            assertThat(Aclnn.aclnnRmsNormGetWorkspaceSize(tensor(arena, s, x), tensor(arena, s, g), 1e-6,
                    tensor(arena, s, y), tensor(arena, s, rstd2), ws, exec)).as("rstd [rows, 1]").isZero();

            Tensor xb = Tensor.allocate(dev, s, DType.BF16, 1, 2, 1, 4);
            Tensor cos32 = Tensor.allocate(dev, s, DType.F32, 1, 2, 1, 4);
            Tensor cosB = Tensor.allocate(dev, s, DType.BF16, 1, 2, 1, 4);
            Tensor outB = Tensor.allocate(dev, s, DType.BF16, 1, 2, 1, 4);
            dev.bind();
            assertThat(Aclnn.aclnnRotaryPositionEmbeddingGetWorkspaceSize(tensor(arena, s, xb), tensor(arena, s, cos32),
                    tensor(arena, s, cos32), 1, tensor(arena, s, outB), ws, exec)).as("F32 cos for BF16 x").isEqualTo(invalid);
            assertThat(Aclnn.aclnnRotaryPositionEmbeddingGetWorkspaceSize(tensor(arena, s, xb), tensor(arena, s, cosB),
                    tensor(arena, s, cosB), 1, tensor(arena, s, outB), ws, exec)).as("BF16 cos for BF16 x").isZero();

            Tensor vals = Tensor.allocate(dev, s, DType.F32, 4, 2);
            Tensor i32 = Tensor.allocate(dev, s, DType.I32, 4, 2);
            Tensor i64 = Tensor.allocate(dev, s, DType.I64, 4, 2);
            dev.bind();
            assertThat(Aclnn.aclnnTopkGetWorkspaceSize(tensor(arena, s, x), 2, -1, true, true, tensor(arena, s, vals),
                    tensor(arena, s, i32), ws, exec)).as("INT32 indices").isEqualTo(invalid);
            assertThat(Check.recentMessage()).contains("INT64");
            assertThat(Aclnn.aclnnTopkGetWorkspaceSize(tensor(arena, s, x), 2, -1, true, true, tensor(arena, s, vals),
                    tensor(arena, s, i64), ws, exec)).as("INT64 indices").isZero();
        }
    }

    @Test
    void row6ReductionsFollowTheAtlasA2Table() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("hccl");
            Tensor t = Tensor.allocate(dev, s, DType.I64, 4);
            MemorySegment p = s.buffer(t.buffer()).pointer(0);
            MemorySegment ids = arena.allocateFrom(ValueLayout.JAVA_INT, 0);
            MemorySegment comms = address(arena);
            dev.bind();
            Check.hccl("HcclCommInitAll", Hccl.HcclCommInitAll(1, ids, comms));
            MemorySegment c = comms.get(ValueLayout.ADDRESS, 0);
            int notSupported = Hccl.HCCL_E_NOT_SUPPORT();
            assertThat(Hccl.HcclAllReduce(p, p, 4, Hccl.HCCL_DATA_TYPE_UINT8(), Hccl.HCCL_REDUCE_SUM(), c, s.handle()))
                    .as("UINT8 sum").isEqualTo(notSupported);
            assertThat(Hccl.HcclAllReduce(p, p, 4, Hccl.HCCL_DATA_TYPE_BFP16(), Hccl.HCCL_REDUCE_PROD(), c, s.handle()))
                    .as("BF16 prod").isEqualTo(notSupported);
            assertThat(Hccl.HcclReduceScatter(p, p, 4, Hccl.HCCL_DATA_TYPE_INT16(), Hccl.HCCL_REDUCE_PROD(), c, s.handle()))
                    .as("INT16 prod").isEqualTo(notSupported);
            assertThat(Hccl.HcclAllReduce(p, p, 4, Hccl.HCCL_DATA_TYPE_BFP16(), Hccl.HCCL_REDUCE_MAX(), c, s.handle()))
                    .as("BF16 max").isZero();
            s.synchronize();
            dev.bind();
            Check.hccl("HcclCommDestroy", Hccl.HcclCommDestroy(c));
        }
    }

    @Test
    void row7CallbacksMayNotAllocateFreeLaunchOrSynchronize() {
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("callbacks");
            int[] codes = new int[3];
            s.hostCallback(() -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment out = a.allocate(ValueLayout.ADDRESS);
                    codes[0] = AclRt.aclrtMalloc(out, 64, AclRt.ACL_MEM_MALLOC_HUGE_FIRST());
                    codes[1] = AclRt.aclrtFreeHost(MemorySegment.ofAddress(64));
                    codes[2] = AclRt.aclrtSynchronizeStream(s.handle());
                }
            });
            s.synchronize();
            assertThat(codes).containsOnly(AclRt.ACL_ERROR_API_NOT_SUPPORT());
        }
    }

    @Test
    void row8LegacyEventsNeedAResetAndAreCappedWhileExEventsAreNot() {
        Emulator.configure("sync_event_limit", 2);
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("events");
            dev.bind();
            MemorySegment out = address(arena);
            Check.acl("aclrtCreateEventWithFlag", AclRt.aclrtCreateEventWithFlag(out, AclRt.ACL_EVENT_SYNC()));
            MemorySegment legacy = out.get(ValueLayout.ADDRESS, 0);
            Check.acl("aclrtRecordEvent", AclRt.aclrtRecordEvent(legacy, s.handle()));
            assertThat(AclRt.aclrtRecordEvent(legacy, s.handle())).as("re-record without reset")
                    .isEqualTo(AclRt.ACL_ERROR_RT_PARAM_INVALID());
            Check.acl("aclrtResetEvent", AclRt.aclrtResetEvent(legacy, s.handle()));
            assertThat(AclRt.aclrtRecordEvent(legacy, s.handle())).as("after aclrtResetEvent").isZero();

            Check.acl("aclrtCreateEvent", AclRt.aclrtCreateEvent(out));
            MemorySegment second = out.get(ValueLayout.ADDRESS, 0);
            assertThat(AclRt.aclrtCreateEventWithFlag(out, AclRt.ACL_EVENT_SYNC())).as("third live SYNC event")
                    .isEqualTo(AclRt.ACL_ERROR_RT_NO_EVENT_RESOURCE());

            Check.acl("aclrtCreateEventExWithFlag", AclRt.aclrtCreateEventExWithFlag(out, AclRt.ACL_EVENT_SYNC()));
            MemorySegment ex = out.get(ValueLayout.ADDRESS, 0);
            for (int i = 0; i < 3; i++) {
                assertThat(AclRt.aclrtRecordEvent(ex, s.handle())).as("Ex event re-record %d", i).isZero();
            }
            s.synchronize();
            dev.bind();
            for (MemorySegment e : new MemorySegment[]{legacy, second, ex}) {
                Check.acl("aclrtDestroyEvent", AclRt.aclrtDestroyEvent(e));
            }
        }
    }

    @Test
    void row9AnOlderHcclRejectsALargerConfigAndTheSentinels() {
        Emulator.configure("hccl_config_capability", Hccl.HCCL_COMM_CONFIG_SUPPORT_INIT_BY_ENV());
        try (TandemRuntime rt = AscendFixture.open(1); Arena arena = Arena.ofConfined()) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            dev.bind();
            int cap = Hccl.HcclGetCommConfigCapability();
            assertThat(cap).isEqualTo(Hccl.HCCL_COMM_CONFIG_SUPPORT_INIT_BY_ENV());
            MemorySegment root = Hc.allocateRootInfo(arena);
            Check.hccl("HcclGetRootInfo", Hccl.HcclGetRootInfo(root));
            MemorySegment out = address(arena);
            MemorySegment newest = Hc.commConfig(arena, Hccl.HCCL_COMM_CONFIG_RESERVED(), -1);
            assertThat(Hccl.HcclCommInitRootInfoConfig(1, root, 0, newest, out)).as("2232-byte config")
                    .isEqualTo(Hccl.HCCL_E_MEMORY());
            MemorySegment sentinel = Hc.commConfig(arena, cap, -1);
            sentinel.set(ValueLayout.JAVA_INT, 28, -1);   // hcclDeterministic = NOT_SET, unknown before INIT_BY_ENV
            assertThat(Hccl.HcclCommInitRootInfoConfig(1, root, 0, sentinel, out)).as("NOT_SET sentinel")
                    .isEqualTo(Hccl.HCCL_E_PARA());
            Check.hccl("HcclCommInitRootInfoConfig", Hccl.HcclCommInitRootInfoConfig(1, root, 0, Hc.commConfig(arena, cap, -1), out));
            Check.hccl("HcclCommDestroy", Hccl.HcclCommDestroy(out.get(ValueLayout.ADDRESS, 0)));
        }
    }

    @Test
    void row10AsyncFailuresCarryCannCodesAndTheCommunicatorsError() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(2); Arena arena = Arena.ofShared()) {
            AscendDevice d0 = (AscendDevice) rt.device(0);
            AscendStream s0 = (AscendStream) d0.createStream("r0");
            // aclnn: an index out of range on the device is 507015 with an EZ9999 message
            Tensor src = Tensor.allocate(d0, s0, DType.F32, 4, 2);
            Tensor idx = Tensor.allocate(d0, s0, DType.I64, 1);
            Tensor dst = Tensor.allocate(d0, s0, DType.F32, 1, 2);
            s0.upload(new long[]{9}, idx);
            s0.synchronize();
            d0.bind();
            MemorySegment ws = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment exec = address(arena);
            Check.aclnn("aclnnIndexSelectGetWorkspaceSize", Aclnn.aclnnIndexSelectGetWorkspaceSize(tensor(arena, s0, src), 0,
                    tensor(arena, s0, idx), tensor(arena, s0, dst), ws, exec));
            Check.aclnn("aclnnIndexSelect", Aclnn.aclnnIndexSelect(MemorySegment.NULL, 0, exec.get(ValueLayout.ADDRESS, 0), s0.handle()));
            assertThat(AclRt.aclrtSynchronizeStream(s0.handle())).isEqualTo(AclRt.ACL_ERROR_RT_AICORE_EXCEPTION());
            assertThat(Check.recentMessage()).startsWith("EZ9999");

            // HCCL: a rank that never arrives is 507048 with an EI0002 message, and HCCL_E_TIMEOUT from the comm
            AscendStream s1 = (AscendStream) d0.createStream("r0b");
            MemorySegment ids = arena.allocateFrom(ValueLayout.JAVA_INT, 0, 1);
            MemorySegment comms = arena.allocate(ValueLayout.ADDRESS, 2);
            MemorySegment root = Hc.allocateRootInfo(arena);
            d0.bind();
            Check.hccl("HcclGetRootInfo", Hccl.HcclGetRootInfo(root));
            MemorySegment config = Hc.commConfig(arena, Hccl.HcclGetCommConfigCapability(), 1);
            AscendDevice d1 = (AscendDevice) rt.device(1);
            AscendStream r1 = (AscendStream) d1.createStream("r1");
            MemorySegment[] c = new MemorySegment[2];
            Thread t = Thread.ofPlatform().start(() -> {
                try (Arena a = Arena.ofConfined()) {
                    d1.bind();
                    MemorySegment o = a.allocate(ValueLayout.ADDRESS);
                    Check.hccl("init", Hccl.HcclCommInitRootInfoConfig(2, root, 1, config, o));
                    c[1] = o.get(ValueLayout.ADDRESS, 0);
                    Check.hccl("HcclBarrier", Hccl.HcclBarrier(c[1], r1.handle()));   // first call: links
                }
            });
            d0.bind();
            Check.hccl("init", Hccl.HcclCommInitRootInfoConfig(2, root, 0, config, comms));
            c[0] = comms.get(ValueLayout.ADDRESS, 0);
            Check.hccl("HcclBarrier", Hccl.HcclBarrier(c[0], s1.handle()));
            t.join();
            Check.acl("sync", AclRt.aclrtSynchronizeStream(s1.handle()));
            d0.bind();
            Check.hccl("HcclBarrier", Hccl.HcclBarrier(c[0], s1.handle()));   // rank 1 never comes: exec timeout 1 s
            assertThat(AclRt.aclrtSynchronizeStream(s1.handle())).isEqualTo(AclRt.ACL_ERROR_RT_FFTS_PLUS_TIMEOUT());
            assertThat(Check.recentMessage()).startsWith("EI0002").contains("did not arrive");
            assertThat(Hc.HcclGetCommAsyncError(c[0])).isEqualTo(Hccl.HCCL_E_TIMEOUT());
            assertThat(Hc.HcclGetCommAsyncError(c[1])).isZero();
            Check.hccl("HcclCommDestroy", Hccl.HcclCommDestroy(c[0]));
            d1.bind();
            Check.hccl("HcclCommDestroy", Hccl.HcclCommDestroy(c[1]));
        }
    }

    @Test
    void row11ATimeoutOfZeroIsRejected() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("sync");
            dev.bind();
            assertThat(AclRt.aclrtSynchronizeStreamWithTimeout(s.handle(), 0)).isEqualTo(AclRt.ACL_ERROR_RT_PARAM_INVALID());
            assertThat(AclRt.aclrtSynchronizeStreamWithTimeout(s.handle(), -1)).isZero();
            assertThat(AclRt.aclrtSynchronizeStreamWithTimeout(s.handle(), 5)).isZero();
        }
    }

    @Test
    void row12CrossDeviceCopiesNeedPeerAccessAndCann80AlignmentIsASwitch() {
        try (TandemRuntime rt = AscendFixture.open(2); Arena arena = Arena.ofConfined()) {
            AscendDevice d0 = (AscendDevice) rt.device(0);
            AscendDevice d1 = (AscendDevice) rt.device(1);
            AscendStream s0 = (AscendStream) d0.createStream("copy");
            AscendStream s1 = (AscendStream) d1.createStream("copy");
            Tensor a = Tensor.allocate(d0, s0, DType.F32, 64);
            Tensor b = Tensor.allocate(d1, s1, DType.F32, 64);
            MemorySegment pa = s0.buffer(a.buffer()).pointer(0);
            MemorySegment pb = s1.buffer(b.buffer()).pointer(0);
            d0.bind();
            int d2d = AclRt.ACL_MEMCPY_DEVICE_TO_DEVICE();
            assertThat(AclRt.aclrtMemcpyAsync(pb, 256, pa, 256, d2d, s0.handle())).as("no peer access")
                    .isEqualTo(AclRt.ACL_ERROR_RT_PARAM_INVALID());
            MemorySegment can = arena.allocate(ValueLayout.JAVA_INT);
            Check.acl("aclrtDeviceCanAccessPeer", AclRt.aclrtDeviceCanAccessPeer(can, 0, 1));
            assertThat(can.get(ValueLayout.JAVA_INT, 0)).isEqualTo(1);
            Check.acl("aclrtDeviceEnablePeerAccess", AclRt.aclrtDeviceEnablePeerAccess(1, 0));
            assertThat(AclRt.aclrtMemcpyAsync(pb, 256, pa, 256, d2d, s0.handle())).as("after enabling").isZero();
            Emulator.configure("copy_alignment", 64);
            assertThat(AclRt.aclrtMemcpyAsync(MemorySegment.ofAddress(pb.address() + 4), 64, pa, 64, d2d, s0.handle())).as("unaligned under CANN 8.0 rules")
                    .isEqualTo(AclRt.ACL_ERROR_RT_ADDR_UNALIGNED());
            s0.synchronize();
        }
    }

    @Test
    void row13ProcessReportReportsTimeoutAndMissingSubscriptionWithRuntimeCodes() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            AscendStream s = (AscendStream) dev.createStream("reports");
            int[] codes = new int[2];
            Thread t = Thread.ofPlatform().start(() -> {
                dev.bind();
                codes[0] = AclRt.aclrtProcessReport(10);   // this thread subscribes no stream
            });
            t.join();
            assertThat(codes[0]).isEqualTo(AclRt.ACL_ERROR_RT_THREAD_SUBSCRIBE());
            assertThat(AclRt.aclrtProcessReport(0)).as("a timeout of 0").isEqualTo(AclRt.ACL_ERROR_RT_PARAM_INVALID());
            Thread sub = Thread.ofPlatform().start(() -> {
                dev.bind();
                long self = NativeThreads.pthreadSelf();
                Check.acl("subscribe", AclRt.aclrtSubscribeReport(self, MemorySegment.NULL));
                codes[1] = AclRt.aclrtProcessReport(10);
                Check.acl("unsubscribe", AclRt.aclrtUnSubscribeReport(self, MemorySegment.NULL));
            });
            sub.join();
            assertThat(codes[1]).isEqualTo(AclRt.ACL_ERROR_RT_REPORT_TIMEOUT());
            s.synchronize();
        }
    }

    @Test
    void launchesOnAStreamOfAnotherContextFailWith107003() {
        try (TandemRuntime rt = AscendFixture.open(2); Arena arena = Arena.ofConfined()) {
            AscendDevice d0 = (AscendDevice) rt.device(0);
            AscendDevice d1 = (AscendDevice) rt.device(1);
            AscendStream s0 = (AscendStream) d0.createStream("ctx");
            Tensor t = Tensor.allocate(d0, s0, DType.U8, 64);
            d1.bind();
            assertThat(AclRt.aclrtMemsetAsync(s0.buffer(t.buffer()).pointer(0), 64, 0, 64, s0.handle()))
                    .isEqualTo(AclRt.ACL_ERROR_RT_STREAM_CONTEXT());
            d0.bind();
            assertThat(AclRt.aclrtMemsetAsync(s0.buffer(t.buffer()).pointer(0), 64, 0, 64, s0.handle())).isZero();
            s0.synchronize();
        }
    }
}
