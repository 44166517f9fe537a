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

    /** {@code HcclGetCommAsyncError}: the HcclResult of an asynchronous failure on the communicator, or 0. */
    public static int HcclGetCommAsyncError(MemorySegment comm) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            Check.hccl("HcclGetCommAsyncError", Hccl.HcclGetCommAsyncError(comm, out));
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    public static int HCCL_E_TIMEOUT() {
        return Hccl.HCCL_E_TIMEOUT();
    }

    public static int HCCL_E_NOT_SUPPORT() {
        return Hccl.HCCL_E_NOT_SUPPORT();
    }

    public static int COMM_NAME_MAX_LENGTH() {
        return Hccl.COMM_NAME_MAX_LENGTH();
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

    public static int HCCL_DATA_TYPE_BFP16() {
        return Hccl.HCCL_DATA_TYPE_BFP16();
    }

    public static int HCCL_DATA_TYPE_FP16() {
        return Hccl.HCCL_DATA_TYPE_FP16();
    }

    public static int HCCL_DATA_TYPE_FP32() {
        return Hccl.HCCL_DATA_TYPE_FP32();
    }

    public static int HCCL_DATA_TYPE_INT32() {
        return Hccl.HCCL_DATA_TYPE_INT32();
    }

    public static int HCCL_DATA_TYPE_INT64() {
        return Hccl.HCCL_DATA_TYPE_INT64();
    }

    public static int HCCL_DATA_TYPE_INT8() {
        return Hccl.HCCL_DATA_TYPE_INT8();
    }

    public static int HCCL_DATA_TYPE_UINT8() {
        return Hccl.HCCL_DATA_TYPE_UINT8();
    }

    public static int HCCL_REDUCE_MAX() {
        return Hccl.HCCL_REDUCE_MAX();
    }

    public static int HCCL_REDUCE_MIN() {
        return Hccl.HCCL_REDUCE_MIN();
    }

    public static int HCCL_REDUCE_PROD() {
        return Hccl.HCCL_REDUCE_PROD();
    }

    public static int HCCL_REDUCE_SUM() {
        return Hccl.HCCL_REDUCE_SUM();
    }

    public static void HcclAllGather(MemorySegment sendBuf, MemorySegment recvBuf, long sendCount, int dataType,
            MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclAllGather", Hccl.HcclAllGather(sendBuf, recvBuf, sendCount, dataType, comm, stream));
    }

    public static void HcclAllReduce(MemorySegment sendBuf, MemorySegment recvBuf, long count, int dataType, int op,
            MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclAllReduce", Hccl.HcclAllReduce(sendBuf, recvBuf, count, dataType, op, comm, stream));
    }

    public static void HcclAlltoAll(MemorySegment sendBuf, long sendCount, int sendType, MemorySegment recvBuf,
            long recvCount, int recvType, MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclAlltoAll", Hccl.HcclAlltoAll(sendBuf, sendCount, sendType, recvBuf, recvCount, recvType,
                comm, stream));
    }

    public static void HcclAlltoAllV(MemorySegment sendBuf, MemorySegment sendCounts, MemorySegment sdispls,
            int sendType, MemorySegment recvBuf, MemorySegment recvCounts, MemorySegment rdispls, int recvType,
            MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclAlltoAllV", Hccl.HcclAlltoAllV(sendBuf, sendCounts, sdispls, sendType, recvBuf, recvCounts,
                rdispls, recvType, comm, stream));
    }

    public static void HcclBarrier(MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclBarrier", Hccl.HcclBarrier(comm, stream));
    }

    public static void HcclBroadcast(MemorySegment buf, long count, int dataType, int root, MemorySegment comm,
            MemorySegment stream) {
        Check.hccl("HcclBroadcast", Hccl.HcclBroadcast(buf, count, dataType, root, comm, stream));
    }

    public static void HcclCommInitAll(int ndev, MemorySegment devices, MemorySegment comms) {
        Check.hccl("HcclCommInitAll", Hccl.HcclCommInitAll(ndev, devices, comms));
    }

    public static void HcclCommInitClusterInfo(MemorySegment clusterInfo, int rank, MemorySegment comm) {
        Check.hccl("HcclCommInitClusterInfo", Hccl.HcclCommInitClusterInfo(clusterInfo, rank, comm));
    }

    public static void HcclCommInitRootInfo(int nRanks, MemorySegment rootInfo, int rank, MemorySegment comm) {
        Check.hccl("HcclCommInitRootInfo", Hccl.HcclCommInitRootInfo(nRanks, rootInfo, rank, comm));
    }

    public static void HcclCommInitRootInfoConfig(int nRanks, MemorySegment rootInfo, int rank, MemorySegment config,
            MemorySegment comm) {
        Check.hccl("HcclCommInitRootInfoConfig", Hccl.HcclCommInitRootInfoConfig(nRanks, rootInfo, rank, config, comm));
    }

    public static void HcclGetCommName(MemorySegment comm, MemorySegment commName) {
        Check.hccl("HcclGetCommName", Hccl.HcclGetCommName(comm, commName));
    }

    public static void HcclGetRankId(MemorySegment comm, MemorySegment rank) {
        Check.hccl("HcclGetRankId", Hccl.HcclGetRankId(comm, rank));
    }

    public static void HcclGetRankSize(MemorySegment comm, MemorySegment rankSize) {
        Check.hccl("HcclGetRankSize", Hccl.HcclGetRankSize(comm, rankSize));
    }

    public static void HcclGetRootInfo(MemorySegment rootInfo) {
        Check.hccl("HcclGetRootInfo", Hccl.HcclGetRootInfo(rootInfo));
    }

    public static void HcclRecv(MemorySegment recvBuf, long count, int dataType, int srcRank, MemorySegment comm,
            MemorySegment stream) {
        Check.hccl("HcclRecv", Hccl.HcclRecv(recvBuf, count, dataType, srcRank, comm, stream));
    }

    public static void HcclReduceScatter(MemorySegment sendBuf, MemorySegment recvBuf, long recvCount, int dataType,
            int op, MemorySegment comm, MemorySegment stream) {
        Check.hccl("HcclReduceScatter", Hccl.HcclReduceScatter(sendBuf, recvBuf, recvCount, dataType, op, comm,
                stream));
    }

    public static void HcclSend(MemorySegment sendBuf, long count, int dataType, int destRank, MemorySegment comm,
            MemorySegment stream) {
        Check.hccl("HcclSend", Hccl.HcclSend(sendBuf, count, dataType, destRank, comm, stream));
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
