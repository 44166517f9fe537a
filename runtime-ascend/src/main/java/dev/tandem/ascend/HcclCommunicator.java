package dev.tandem.ascend;

import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.Hc;
import dev.tandem.ascend.internal.HcclConfigCapability;
import dev.tandem.ascend.internal.HcclDataType;
import dev.tandem.ascend.internal.HcclReduceOp;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.spi.CollectiveContract;
import dev.tandem.runtime.spi.Handle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One rank of an HCCL communicator. Collectives are enqueued on the given stream of this rank's device; the
 * launches of one device are serialised, as HCCL requires.
 *
 * <p>HCCL sets up its links inside the first operation on a communicator, and that call blocks the calling thread
 * until every rank made the same call (HCCL_CONNECT_TIMEOUT, 120 s by default). {@link #createGroup} therefore
 * issues a first barrier itself, one thread per rank, so the communicators it returns may be driven from one
 * thread. Ranks joined one by one ({@link #join}, {@link #fromRankTable}) must issue their first operation from
 * one thread per rank (one process per rank does that naturally).
 *
 * <p>Reductions follow the Atlas A2 table: int8/16/32/64, fp16, fp32 and bf16, with no PROD for bf16. Other
 * combinations throw {@link FeatureNotSupportedException} before anything is enqueued; BOOL travels as INT8
 * (MAX for SUM/MAX, MIN for PROD/MIN), which is exact on 0/1.
 */
public final class HcclCommunicator extends Handle implements Communicator {
    /** Size of {@code HcclRootInfo}. */
    public static final int ROOT_INFO_BYTES = Hc.ROOT_INFO_BYTES;

    private final AscendDevice device;
    private final MemorySegment handle;
    private final int rank;
    private final int size;
    private volatile String lastOperation = "collective";

    private HcclCommunicator(AscendDevice device, MemorySegment handle) {
        int rankId = Hc.getRankId(handle);
        int rankSize = Hc.getRankSize(handle);
        super("hccl communicator rank " + rankId + " on device " + device.id());
        this.device = device;
        this.handle = handle;
        this.rank = rankId;
        this.size = rankSize;
        device.adopt(this);
    }

    /**
     * One process driving several devices. With the default timeout this is {@code HcclCommInitAll}; with an
     * explicit timeout each rank joins through {@code HcclCommInitRootInfoConfig} (one thread per device, as HCCL
     * asks) so that the configured {@code hcclExecTimeOut} applies.
     */
    static List<HcclCommunicator> createGroup(List<AscendDevice> devices, CommunicatorOptions options) {
        int n = devices.size();
        if (options.timeout().equals(CommunicatorOptions.DEFAULT_TIMEOUT)) {
            AscendDevice first = devices.getFirst();
            first.bind();
            List<HcclCommunicator> result = new ArrayList<>();
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = devices.get(i).id();
            }
            MemorySegment[] comms;
            synchronized (first.hcclLock) {
                comms = Hc.commInitAll(ids);
            }
            for (int i = 0; i < n; i++) {
                result.add(new HcclCommunicator(devices.get(i), comms[i]));
            }
            connectAll(result);
            return result;
        }
        AscendDevice root = devices.getFirst();
        byte[] rootInfo = rootInfo(root);
        List<HcclCommunicator> result = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(n, Thread.ofPlatform().daemon().name("tandem-hccl-init-", 0).factory())) {
            List<Future<HcclCommunicator>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int r = i;
                futures.add(pool.submit(() -> join(devices.get(r), rootInfo, n, r, options)));
            }
            RuntimeException failure = null;
            for (Future<HcclCommunicator> f : futures) {
                try {
                    result.add(f.get());
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = new IllegalStateException("interrupted while creating communicators", e);
                }
            }
            if (failure != null) {
                result.forEach(HcclCommunicator::close);
                throw failure;
            }
        }
        connectAll(result);
        return result;
    }

    /**
     * Issues each rank's first operation (a barrier, where HCCL sets up its links and waits for every rank) from one
     * thread per rank, then waits for it. Closes the group and throws on failure.
     */
    private static void connectAll(List<HcclCommunicator> group) {
        List<Thread> threads = new ArrayList<>();
        RuntimeException[] failures = new RuntimeException[group.size()];
        for (int i = 0; i < group.size(); i++) {
            int r = i;
            threads.add(Thread.ofPlatform().daemon().name("tandem-hccl-connect-" + r).start(() -> {
                HcclCommunicator c = group.get(r);
                try (AscendStream s = (AscendStream) c.device.createStream("hccl-connect")) {
                    c.barrier(s);
                    s.synchronize();
                } catch (RuntimeException e) {
                    failures[r] = e;
                }
            }));
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        for (RuntimeException f : failures) {
            if (f != null) {
                group.forEach(HcclCommunicator::close);
                throw f;
            }
        }
    }

    /**
     * Rank 0's bootstrap blob ({@code HcclGetRootInfo}, 4108 bytes) to hand to the other ranks.
     *
     * @param device the open device rank 0 runs on; it is bound to the calling thread
     * @return the root info bytes
     */
    public static byte[] rootInfo(AscendDevice device) {
        device.ensureOpen();
        device.bind();
        return Hc.getRootInfo();
    }

    /** Joins a group bootstrapped by {@code rootInfo}; blocks until every rank joined or HCCL's connect timeout. */
    static HcclCommunicator join(AscendDevice device, byte[] rootInfo, int size, int rank, CommunicatorOptions options) {
        Objects.requireNonNull(rootInfo, "rootInfo");
        if (rootInfo.length != ROOT_INFO_BYTES) {
            throw new InvalidArgumentException("root info must be " + ROOT_INFO_BYTES + " bytes, got " + rootInfo.length);
        }
        if (size <= 0 || rank < 0 || rank >= size) {
            throw new OutOfRangeException("rank " + rank + " out of range for a group of " + size);
        }
        device.ensureOpen();
        device.bind();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = commConfig(arena, options);
            return new HcclCommunicator(device, Hc.commInitRootInfoConfig(size, rootInfo, rank, config));
        }
    }

    /**
     * Joins a group bootstrapped by {@code rootInfo} without a config ({@code HcclCommInitRootInfo}); HCCL's
     * environment decides timeouts. Blocks until every rank has joined or HCCL's connect timeout.
     *
     * @param device   the open device this rank runs on; it is bound to the calling thread
     * @param rootInfo rank 0's blob from {@link #rootInfo(AscendDevice)}, 4108 bytes
     * @param size     the number of ranks in the group
     * @param rank     this process's rank, {@code [0, size)}
     * @return the communicator for this rank
     * @throws dev.tandem.runtime.InvalidArgumentException when {@code rootInfo} has the wrong length
     * @throws HcclException when HCCL fails to create the communicator
     */
    public static HcclCommunicator join(AscendDevice device, byte[] rootInfo, int size, int rank) {
        if (rootInfo.length != ROOT_INFO_BYTES) {
            throw new InvalidArgumentException("root info must be " + ROOT_INFO_BYTES + " bytes, got " + rootInfo.length);
        }
        device.ensureOpen();
        device.bind();
        return new HcclCommunicator(device, Hc.commInitRootInfo(size, rootInfo, rank));
    }

    static HcclCommunicator fromRankTable(AscendDevice device, Path rankTable, int rank) {
        if (!Files.isRegularFile(rankTable)) {
            throw new InvalidArgumentException("rank table " + rankTable + " does not exist");
        }
        device.ensureOpen();
        device.bind();
        return new HcclCommunicator(device, Hc.commInitClusterInfo(rankTable.toAbsolutePath().toString(), rank));
    }

    /**
     * An HcclCommConfig for the installed HCCL ({@code HcclGetCommConfigCapability}, see {@link Hc#commConfig}), with
     * the options' timeout as hcclExecTimeOut when one was asked for. An HCCL too old to take that field throws
     * {@link FeatureNotSupportedException} rather than silently running with another timeout.
     */
    static MemorySegment commConfig(Arena arena, CommunicatorOptions options) {
        HcclConfigCapability capability = Hc.getCommConfigCapability();
        int seconds = -1;
        if (!options.timeout().equals(CommunicatorOptions.DEFAULT_TIMEOUT)) {
            if (!capability.supportsExecTimeout()) {
                throw Check.hcclNotSupported("HcclCommInitRootInfoConfig",
                        "this HCCL's config capability " + capability + " has no hcclExecTimeOut;"
                        + " use CommunicatorOptions.DEFAULT_TIMEOUT and set HCCL_EXEC_TIMEOUT in the environment instead");
            }
            seconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (options.timeout().toMillis() + 999) / 1000));
        }
        return Hc.commConfig(arena, capability, seconds);
    }

    /** {@code HcclGetCommAsyncError}: the HcclResult of an asynchronous failure of this communicator, or 0. */
    int asyncError() {
        if (isClosed()) {
            return 0;
        }
        try (var use = use("HcclGetCommAsyncError")) {
            return Hc.HcclGetCommAsyncError(handle);
        } catch (HandleClosedException closedMeanwhile) {
            return 0;
        }
    }

    /** The Tandem name of the operation launched last (for failure messages). */
    String lastOperation() {
        return lastOperation;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public AscendDevice device() {
        return device;
    }

    /**
     * HCCL's name for this communicator ({@code HcclGetCommName}; what fused MoE operators take as their group).
     *
     * @return the communicator's name
     */
    public String name() {
        ensureOpen();
        return Hc.getCommName(handle);
    }

    private void ensureOpen() {
        ensureOpen("communicator");
    }

    private AscendStream stream(Stream s) {
        ensureOpen();
        return device.stream(s);
    }

    /** The tensor's buffer, marked as used on {@code s}; the tensor passed {@link CollectiveContract} already. */
    private AscendBuffer tensorBuffer(AscendStream s, Tensor t, String what) {
        AscendBuffer b = s.buffer(t.buffer());
        b.markUsed(s);
        return b;
    }

    static HcclDataType hcclType(DType t) {
        return switch (t) {
            case F32 -> HcclDataType.FP32;
            case F16 -> HcclDataType.FP16;
            case BF16 -> HcclDataType.BFP16;
            case I8 -> HcclDataType.INT8;
            case I32 -> HcclDataType.INT32;
            case I64 -> HcclDataType.INT64;
            case U8 -> HcclDataType.UINT8;
            case BOOL -> HcclDataType.INT8;
        };
    }

    /** Whether HCCL on Atlas A2 reduces this dtype with this op (BOOL travels as INT8 with MAX/MIN). */
    @Override
    public boolean supportsReduction(DType dtype, ReduceOp op) {
        return switch (dtype) {
            case F32, F16, I8, I32, I64, BOOL -> true;
            case BF16 -> op != ReduceOp.PROD;
            case U8 -> false;
        };
    }

    private void checkReduction(String operation, DType dtype, ReduceOp op) {
        if (!supportsReduction(dtype, op)) {
            throw Check.hcclNotSupported("Hccl" + Character.toUpperCase(operation.charAt(0)) + operation.substring(1),
                    operation + " with " + op + " on " + dtype
                    + " is not supported by HCCL on Atlas A2 (reductions: int8/16/32/64, fp16, fp32, bf16; no PROD on bf16)");
        }
    }

    static HcclReduceOp hcclOp(ReduceOp op) {
        return switch (op) {
            case SUM -> HcclReduceOp.SUM;
            case PROD -> HcclReduceOp.PROD;
            case MAX -> HcclReduceOp.MAX;
            case MIN -> HcclReduceOp.MIN;
        };
    }

    /** HCCL has no boolean type: booleans travel as UINT8 0/1, where SUM is OR (MAX) and PROD is AND (MIN). */
    static HcclReduceOp boolOp(ReduceOp op) {
        return switch (op) {
            case SUM, MAX -> HcclReduceOp.MAX;
            case PROD, MIN -> HcclReduceOp.MIN;
        };
    }

    private static MemorySegment at(AscendBuffer b, Tensor t) {
        return b.pointer(t.byteOffset());
    }

    /** Enqueues a collective; {@code call} is a checked {@link Hc} call that throws on a failure code. */
    private void launch(AscendStream s, String op, Runnable call) {
        s.usedBy(this);
        lastOperation = op;
        s.enqueue(op, rank, () -> {
            synchronized (device.hcclLock) {
                call.run();
            }
        });
    }

    @Override
    public void allReduce(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        CollectiveContract.allReduce(this, stream, send, recv, op);
        AscendStream s = stream(stream);
        AscendBuffer sb = tensorBuffer(s, send, "send");
        AscendBuffer rb = tensorBuffer(s, recv, "recv");
        checkReduction("allReduce", send.dtype(), op);
        HcclReduceOp hop = send.dtype() == DType.BOOL ? boolOp(op) : hcclOp(op);
        launch(s, "allReduce", () -> Hc.HcclAllReduce(at(sb, send), at(rb, recv), send.numel(),
                hcclType(send.dtype()), hop, handle, s.handle()));
    }

    @Override
    public void allGather(Stream stream, Tensor send, Tensor recv) {
        CollectiveContract.allGather(this, stream, send, recv);
        AscendStream s = stream(stream);
        AscendBuffer sb = tensorBuffer(s, send, "send");
        AscendBuffer rb = tensorBuffer(s, recv, "recv");
        launch(s, "allGather", () -> Hc.HcclAllGather(at(sb, send), at(rb, recv), send.numel(),
                hcclType(send.dtype()), handle, s.handle()));
    }

    @Override
    public void reduceScatter(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        CollectiveContract.reduceScatter(this, stream, send, recv, op);
        AscendStream s = stream(stream);
        AscendBuffer sb = tensorBuffer(s, send, "send");
        AscendBuffer rb = tensorBuffer(s, recv, "recv");
        checkReduction("reduceScatter", send.dtype(), op);
        HcclReduceOp hop = send.dtype() == DType.BOOL ? boolOp(op) : hcclOp(op);
        launch(s, "reduceScatter", () -> Hc.HcclReduceScatter(at(sb, send), at(rb, recv),
                recv.numel(), hcclType(send.dtype()), hop, handle, s.handle()));
    }

    @Override
    public void allToAll(Stream stream, Tensor send, Tensor recv) {
        CollectiveContract.allToAll(this, stream, send, recv);
        AscendStream s = stream(stream);
        AscendBuffer sb = tensorBuffer(s, send, "send");
        AscendBuffer rb = tensorBuffer(s, recv, "recv");
        long chunk = send.numel() / size;
        HcclDataType type = hcclType(send.dtype());
        launch(s, "allToAll", () -> Hc.HcclAlltoAll(at(sb, send), chunk, type, at(rb, recv), chunk,
                type, handle, s.handle()));
    }

    @Override
    public void allToAllV(Stream stream, Tensor send, long[] sendCounts, long[] sendDispls, Tensor recv,
                          long[] recvCounts, long[] recvDispls) {
        CollectiveContract.allToAllV(this, stream, send, sendCounts, sendDispls, recv, recvCounts, recvDispls);
        AscendStream s = stream(stream);
        AscendBuffer sb = tensorBuffer(s, send, "send");
        AscendBuffer rb = tensorBuffer(s, recv, "recv");
        HcclDataType type = hcclType(send.dtype());
        launch(s, "allToAllV", () -> Hc.HcclAlltoAllV(at(sb, send), sendCounts, sendDispls, type, at(rb, recv),
                recvCounts, recvDispls, type, handle, s.handle()));
    }

    @Override
    public void broadcast(Stream stream, Tensor tensor, int root) {
        CollectiveContract.broadcast(this, stream, tensor, root);
        AscendStream s = stream(stream);
        AscendBuffer b = tensorBuffer(s, tensor, "tensor");
        launch(s, "broadcast", () -> Hc.HcclBroadcast(at(b, tensor), tensor.numel(),
                hcclType(tensor.dtype()), root, handle, s.handle()));
    }

    @Override
    public void send(Stream stream, Tensor tensor, int peer) {
        CollectiveContract.pointToPoint(this, "send", stream, tensor, peer);
        AscendStream s = stream(stream);
        AscendBuffer b = tensorBuffer(s, tensor, "tensor");
        launch(s, "send", () -> Hc.HcclSend(at(b, tensor), tensor.numel(), hcclType(tensor.dtype()), peer,
                handle, s.handle()));
    }

    @Override
    public void recv(Stream stream, Tensor tensor, int peer) {
        CollectiveContract.pointToPoint(this, "recv", stream, tensor, peer);
        AscendStream s = stream(stream);
        AscendBuffer b = tensorBuffer(s, tensor, "tensor");
        launch(s, "recv", () -> Hc.HcclRecv(at(b, tensor), tensor.numel(), hcclType(tensor.dtype()), peer,
                handle, s.handle()));
    }

    @Override
    public void barrier(Stream stream) {
        CollectiveContract.barrier(this, stream);
        AscendStream s = stream(stream);
        launch(s, "barrier", () -> Hc.HcclBarrier(handle, s.handle()));
    }

    /** Destroys the communicator after this device's streams drained. Idempotent. */
    @Override
    protected void release() {
        device.bind();
        int rc;
        synchronized (device.hcclLock) {
            rc = Hc.Raw.HcclCommDestroy(handle);
        }
        device.forget(this);
        Check.hccl("HcclCommDestroy", rc);
    }

    @Override
    public String toString() {
        return "HcclCommunicator[rank " + rank + " of " + size + " on device " + device.id() + "]";
    }

    static {
        if (ROOT_INFO_BYTES != 4108) {
            throw new ExceptionInInitializerError("HcclRootInfo binding is " + ROOT_INFO_BYTES + " bytes, expected 4108");
        }
    }
}
