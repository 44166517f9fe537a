package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.hccl.Hccl;

import dev.tandem.ascend.ffi.hccl.HcclCommConfigDef;
import dev.tandem.ascend.ffi.hccl.HcclRootInfoDef;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Checked HCCL calls (libhccl) for the safe classes, which never touch the generated {@code ffi} packages.
 * Each method takes the C arguments, calls the downcall and turns a failure code into an exception
 * ({@link Check}). {@link Raw} returns the code instead, for the few callers that handle specific codes
 * (timeouts, out-of-memory) or clean up on a path that must not throw.
 */
public final class Hc {
    private Hc() {
    }

    /** Size of HcclRootInfo (4108 bytes). */
    public static final int ROOT_INFO_BYTES = (int) HcclRootInfoDef.layout().byteSize();

    public static MemorySegment allocateRootInfo(Arena arena) {
        return HcclRootInfoDef.allocate(arena);
    }

    /**
     * HcclCommConfigInit re-implemented (it is an inline function in hccl.h, not exported), sized for the installed
     * HCCL: {@code capability} is {@code HcclGetCommConfigCapability()}, and every {@code HcclCommConfigCapability}
     * value below it is a field that HCCL reads. The config declares only the bytes those fields span, because an
     * older loader copies {@code configSize} bytes into its own smaller struct. Without SUPPORT_INIT_BY_ENV the
     * {@code *_NOT_SET} sentinels are unknown, so the defaults are written out instead. {@code execTimeoutSeconds}
     * below 0 leaves the exec timeout to {@code HCCL_EXEC_TIMEOUT}.
     */
    public static MemorySegment commConfig(Arena arena, int capability, int execTimeoutSeconds) {
        MemorySegment c = HcclCommConfigDef.allocate(arena);
        long size = configBytes(capability);
        boolean sentinels = capability > Hccl.HCCL_COMM_CONFIG_SUPPORT_INIT_BY_ENV();
        MemorySegment reserved = HcclCommConfigDef.reserved(c);
        reserved.set(ValueLayout.JAVA_LONG, 0, size);
        reserved.set(ValueLayout.JAVA_INT, 8, Hccl.HCCL_COMM_CONFIG_MAGIC_WORD());
        reserved.set(ValueLayout.JAVA_INT, 12, Hccl.HCCL_COMM_CONFIG_VERSION());
        reserved.set(ValueLayout.JAVA_LONG, 16, 0L);
        HcclCommConfigDef.hcclBufferSize(c, sentinels ? Hccl.HCCL_COMM_BUFFSIZE_CONFIG_NOT_SET() : Hccl.HCCL_COMM_DEFAULT_BUFFSIZE());
        HcclCommConfigDef.hcclDeterministic(c, sentinels ? Hccl.HCCL_COMM_DETERMINISTIC_CONFIG_NOT_SET() : 0);
        if (capability > Hccl.HCCL_COMM_CONFIG_OP_EXPANSION_MODE()) {
            HcclCommConfigDef.hcclOpExpansionMode(c, Hccl.HCCL_COMM_DEFAULT_OP_EXPANSION_MODE());
            HcclCommConfigDef.hcclRdmaTrafficClass(c, Hccl.HCCL_COMM_TRAFFIC_CLASS_CONFIG_NOT_SET());
            HcclCommConfigDef.hcclRdmaServiceLevel(c, Hccl.HCCL_COMM_SERVICE_LEVEL_CONFIG_NOT_SET());
        }
        HcclCommConfigDef.hcclWorldRankID(c, 0);
        HcclCommConfigDef.hcclJobID(c, 0L);
        HcclCommConfigDef.aclGraphZeroCopyEnable(c, (byte) 0);
        HcclCommConfigDef.hcclExecTimeOut(c, execTimeoutSeconds >= 0 && supportsExecTimeout(capability)
                ? execTimeoutSeconds : Hccl.HCCL_COMM_EXECTIMEOUT_CONFIG_NOT_SET());
        HcclCommConfigDef.hcclQos(c, Hccl.HCCL_COMM_QOS_CONFIG_NOT_SET());
        return c;
    }

    /** Whether an HCCL of this config capability reads {@code hcclExecTimeOut}. */
    public static boolean supportsExecTimeout(int capability) {
        return capability > Hccl.HCCL_COMM_CONFIG_EXEC_TIMEOUT();
    }

    /** The HcclCommConfig bytes an HCCL of this capability knows: its struct ends after its last field. */
    public static long configBytes(int capability) {
        if (capability <= Hccl.HCCL_COMM_CONFIG_OP_EXPANSION_MODE()) {
            return HcclCommConfigDef.hcclOpExpansionMode$offset();
        } else if (capability <= Hccl.HCCL_COMM_CONFIG_WORLD_RANKID()) {
            return HcclCommConfigDef.hcclWorldRankID$offset();
        } else if (capability <= Hccl.HCCL_COMM_CONFIG_JOBID()) {
            return HcclCommConfigDef.hcclJobID$offset();
        } else if (capability <= Hccl.HCCL_COMM_CONFIG_ACLGRAPH_ZEROCOPY_ENABLE()) {
            return HcclCommConfigDef.aclGraphZeroCopyEnable$offset();
        } else if (capability <= Hccl.HCCL_COMM_CONFIG_EXEC_TIMEOUT()) {
            return HcclCommConfigDef.hcclExecTimeOut$offset();
        } else if (capability <= Hccl.HCCL_COMM_CONFIG_ALGO()) {
            return HcclCommConfigDef.hcclAlgo$offset();
        } else if (capability <= Hccl.HCCL_COMM_CONFIG_RETRY()) {
            return HcclCommConfigDef.hcclRetryEnable$offset();
        } else if (capability <= Hccl.HCCL_COMM_CONFIG_BUFFER_NAME()) {
            return HcclCommConfigDef.hcclBufferName$offset();
        }
        return HcclCommConfigDef.layout().byteSize();
    }

    /** {@code HcclGetCommConfigCapability()}: every HcclCommConfigCapability value below it is supported. */
    public static int HcclGetCommConfigCapability() {
        return Hccl.HcclGetCommConfigCapability();
    }

    /** {@code HcclGetCommConfigCapability()}: which config fields the installed HCCL reads. */
    public static HcclConfigCapability getCommConfigCapability() {
        return HcclConfigCapability.installed();
    }

    /** {@link #commConfig(Arena, int, int)} for a capability from {@link #getCommConfigCapability()}. */
    public static MemorySegment commConfig(Arena arena, HcclConfigCapability capability, int execTimeoutSeconds) {
        return commConfig(arena, capability.value(), execTimeoutSeconds);
    }

    /** {@code HcclGetCommAsyncError}: the HcclResult of an asynchronous failure on the communicator, or 0. */
    public static int HcclGetCommAsyncError(MemorySegment comm) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            Check.hccl("HcclGetCommAsyncError", Hccl.HcclGetCommAsyncError(comm, out));
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Whether an HcclResult is HCCL_E_TIMEOUT. */
    public static boolean isTimeout(int result) {
        return result == Hccl.HCCL_E_TIMEOUT();
    }

    public static int HCCL_COMM_BUFFSIZE_CONFIG_NOT_SET() {
        return Hccl.HCCL_COMM_BUFFSIZE_CONFIG_NOT_SET();
    }

    public static int HCCL_COMM_CONFIG_MAGIC_WORD() {
        return Hccl.HCCL_COMM_CONFIG_MAGIC_WORD();
    }

    public static int HCCL_COMM_CONFIG_VERSION() {
        return Hccl.HCCL_COMM_CONFIG_VERSION();
    }

    public static int HCCL_COMM_DEFAULT_OP_EXPANSION_MODE() {
        return Hccl.HCCL_COMM_DEFAULT_OP_EXPANSION_MODE();
    }

    public static int HCCL_COMM_DETERMINISTIC_CONFIG_NOT_SET() {
        return Hccl.HCCL_COMM_DETERMINISTIC_CONFIG_NOT_SET();
    }

    public static int HCCL_COMM_QOS_CONFIG_NOT_SET() {
        return Hccl.HCCL_COMM_QOS_CONFIG_NOT_SET();
    }

    public static int HCCL_COMM_SERVICE_LEVEL_CONFIG_NOT_SET() {
        return Hccl.HCCL_COMM_SERVICE_LEVEL_CONFIG_NOT_SET();
    }

    public static int HCCL_COMM_TRAFFIC_CLASS_CONFIG_NOT_SET() {
        return Hccl.HCCL_COMM_TRAFFIC_CLASS_CONFIG_NOT_SET();
    }

    public static void HcclAllGather(MemorySegment sendBuf, MemorySegment recvBuf, long sendCount, HcclDataType dataType,
            MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclAllGather", Hccl.HcclAllGather(sendBuf, recvBuf, sendCount, dataType.value(), comm, stream));
    }

    public static void HcclAllReduce(MemorySegment sendBuf, MemorySegment recvBuf, long count, HcclDataType dataType, HcclReduceOp op,
            MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclAllReduce", Hccl.HcclAllReduce(sendBuf, recvBuf, count, dataType.value(), op.value(), comm, stream));
    }

    public static void HcclAlltoAll(MemorySegment sendBuf, long sendCount, HcclDataType sendType, MemorySegment recvBuf,
            long recvCount, HcclDataType recvType, MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclAlltoAll", Hccl.HcclAlltoAll(sendBuf, sendCount, sendType.value(), recvBuf, recvCount, recvType.value(),
                comm, stream));
    }

    /** {@code HcclAlltoAllV}; the count and displacement arrays are copied to native memory for the call. */
    public static void HcclAlltoAllV(MemorySegment sendBuf, long[] sendCounts, long[] sdispls, HcclDataType sendType,
            MemorySegment recvBuf, long[] recvCounts, long[] rdispls, HcclDataType recvType, MemorySegment comm,
            MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            Check.hccl("HcclAlltoAllV", Hccl.HcclAlltoAllV(sendBuf, arena.allocateFrom(ValueLayout.JAVA_LONG, sendCounts),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, sdispls), sendType.value(), recvBuf,
                    arena.allocateFrom(ValueLayout.JAVA_LONG, recvCounts),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, rdispls), recvType.value(), comm, stream));
        }
    }

    public static void HcclBarrier(MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclBarrier", Hccl.HcclBarrier(comm, stream));
    }

    public static void HcclBroadcast(MemorySegment buf, long count, HcclDataType dataType, int root, MemorySegment comm,
            MemorySegment stream) {
        Check.hccl("HcclBroadcast", Hccl.HcclBroadcast(buf, count, dataType.value(), root, comm, stream));
    }

    /** {@code HcclCommInitAll} over {@code deviceIds}; returns one communicator per device, in that order. */
    public static MemorySegment[] commInitAll(int[] deviceIds) {
        int n = deviceIds.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment comms = arena.allocate(ValueLayout.ADDRESS, n);
            Check.hccl("HcclCommInitAll", Hccl.HcclCommInitAll(n, arena.allocateFrom(ValueLayout.JAVA_INT, deviceIds),
                    comms));
            MemorySegment[] result = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                result[i] = comms.getAtIndex(ValueLayout.ADDRESS, i);
            }
            return result;
        }
    }

    /** {@code HcclCommInitClusterInfo} from the rank table file at {@code rankTablePath}; returns the communicator. */
    public static MemorySegment commInitClusterInfo(String rankTablePath, int rank) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Check.hccl("HcclCommInitClusterInfo", Hccl.HcclCommInitClusterInfo(arena.allocateFrom(rankTablePath), rank,
                    out));
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** {@code HcclCommInitRootInfo} from rank 0's {@link #ROOT_INFO_BYTES}-byte blob; returns the communicator. */
    public static MemorySegment commInitRootInfo(int nRanks, byte[] rootInfo, int rank) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Check.hccl("HcclCommInitRootInfo", Hccl.HcclCommInitRootInfo(nRanks, rootInfo(arena, rootInfo), rank, out));
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** {@code HcclCommInitRootInfoConfig} with a config from {@link #commConfig}; returns the communicator. */
    public static MemorySegment commInitRootInfoConfig(int nRanks, byte[] rootInfo, int rank, MemorySegment config) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Check.hccl("HcclCommInitRootInfoConfig",
                    Hccl.HcclCommInitRootInfoConfig(nRanks, rootInfo(arena, rootInfo), rank, config, out));
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    private static MemorySegment rootInfo(Arena arena, byte[] bytes) {
        MemorySegment info = allocateRootInfo(arena);
        MemorySegment.copy(bytes, 0, info, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return info;
    }

    /** {@code HcclGetRootInfo}: rank 0's bootstrap blob, {@link #ROOT_INFO_BYTES} bytes. */
    public static byte[] getRootInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = allocateRootInfo(arena);
            Check.hccl("HcclGetRootInfo", Hccl.HcclGetRootInfo(info));
            return info.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** {@code HcclGetCommName}: HCCL's name for the communicator. */
    public static String getCommName(MemorySegment comm) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Hccl.COMM_NAME_MAX_LENGTH());
            Check.hccl("HcclGetCommName", Hccl.HcclGetCommName(comm, buf));
            return buf.getString(0);
        }
    }


    /** {@code HcclGetRankId}: this rank's index in the communicator. */
    public static int getRankId(MemorySegment comm) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            Check.hccl("HcclGetRankId", Hccl.HcclGetRankId(comm, v));
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** {@code HcclGetRankSize}: how many ranks the communicator has. */
    public static int getRankSize(MemorySegment comm) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            Check.hccl("HcclGetRankSize", Hccl.HcclGetRankSize(comm, v));
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    public static void HcclRecv(MemorySegment recvBuf, long count, HcclDataType dataType, int srcRank, MemorySegment comm,
            MemorySegment stream) {
        Check.hccl("HcclRecv", Hccl.HcclRecv(recvBuf, count, dataType.value(), srcRank, comm, stream));
    }

    public static void HcclReduceScatter(MemorySegment sendBuf, MemorySegment recvBuf, long recvCount, HcclDataType dataType,
            HcclReduceOp op, MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclReduceScatter", Hccl.HcclReduceScatter(sendBuf, recvBuf, recvCount, dataType.value(), op.value(), comm,
                stream));
    }

    public static void HcclSend(MemorySegment sendBuf, long count, HcclDataType dataType, int destRank, MemorySegment comm,
            MemorySegment stream) {
        Check.hccl("HcclSend", Hccl.HcclSend(sendBuf, count, dataType.value(), destRank, comm, stream));
    }

    /** The downcalls themselves, returning the code (or pointer) unchecked. */
    public static final class Raw {
        private Raw() {
        }

        public static int HcclCommDestroy(MemorySegment comm) {
            return Hccl.HcclCommDestroy(comm);
        }

    }

}
