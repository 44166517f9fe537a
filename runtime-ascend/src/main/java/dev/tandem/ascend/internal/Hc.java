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
     * HcclCommConfigInit re-implemented (it is an inline function in hccl.h, not exported): a version-10 config with
     * every option "not set" except {@code hcclExecTimeOut}.
     */
    public static MemorySegment commConfig(Arena arena, int execTimeoutSeconds) {
        MemorySegment c = HcclCommConfigDef.allocate(arena);
        long size = HcclCommConfigDef.layout().byteSize();
        MemorySegment reserved = HcclCommConfigDef.reserved(c);
        reserved.set(ValueLayout.JAVA_LONG, 0, size);
        reserved.set(ValueLayout.JAVA_INT, 8, Hccl.HCCL_COMM_CONFIG_MAGIC_WORD());
        reserved.set(ValueLayout.JAVA_INT, 12, Hccl.HCCL_COMM_CONFIG_VERSION());
        reserved.set(ValueLayout.JAVA_LONG, 16, 0L);
        HcclCommConfigDef.hcclBufferSize(c, Hccl.HCCL_COMM_BUFFSIZE_CONFIG_NOT_SET());
        HcclCommConfigDef.hcclDeterministic(c, Hccl.HCCL_COMM_DETERMINISTIC_CONFIG_NOT_SET());
        HcclCommConfigDef.hcclOpExpansionMode(c, Hccl.HCCL_COMM_DEFAULT_OP_EXPANSION_MODE());
        HcclCommConfigDef.hcclRdmaTrafficClass(c, Hccl.HCCL_COMM_TRAFFIC_CLASS_CONFIG_NOT_SET());
        HcclCommConfigDef.hcclRdmaServiceLevel(c, Hccl.HCCL_COMM_SERVICE_LEVEL_CONFIG_NOT_SET());
        HcclCommConfigDef.hcclWorldRankID(c, 0);
        HcclCommConfigDef.hcclJobID(c, 0L);
        HcclCommConfigDef.aclGraphZeroCopyEnable(c, (byte) 0);
        HcclCommConfigDef.hcclExecTimeOut(c, execTimeoutSeconds);
        HcclCommConfigDef.hcclQos(c, Hccl.HCCL_COMM_QOS_CONFIG_NOT_SET());
        return c;
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
