package dev.tandem.runtime.host;

import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.spi.CollectiveContract;
import dev.tandem.runtime.spi.CommunicatorHandle;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;

/**
 * One in-process rank. Arguments are validated when a collective is enqueued; the exchange itself runs on the
 * stream's thread. Reductions add contributions in rank order, so every rank gets bitwise the same result.
 */
final class HostCommunicator extends CommunicatorHandle<HostDevice> {
    private final CollectiveGroup group;
    private final AtomicLong collectives = new AtomicLong();
    private final AtomicLongArray sent;
    private final AtomicLongArray received;
    private final int[] everyone;
    private final java.util.Set<HostStream> watched = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A contiguous run of elements on some rank's device. */
    /** {@code access} converts elements for reductions; segment and byte offset serve raw copies. */
    private record Region(MemorySegment segment, long byteOffset, long count, DType dtype, TensorAccess access) {
        long bytes() {
            return count * dtype.byteSize();
        }
    }

    private record VPayload(Region send, long[] sendCounts, long[] sendDispls) {
    }

    HostCommunicator(CollectiveGroup group, HostDevice device, int rank) {
        super(device, rank, group.size());
        this.group = group;
        this.sent = new AtomicLongArray(group.size());
        this.received = new AtomicLongArray(group.size());
        this.everyone = IntStream.range(0, group.size()).toArray();
    }

    // ---- collectives ----

    @Override
    public void allReduce(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        CollectiveContract.allReduce(this, stream, send, recv, op);
        int n = elements("allReduce", send);
        String sig = "allReduce(" + send.dtype() + " x" + n + ", " + op + ")";
        long bytes = size() < 2 ? 0 : 2L * (size() - 1) * send.byteSize() / size();
        Region out = region(recv); // resolved now: the buffer may be closed (stream-ordered) right after enqueue
        collective(stream, "allReduce", sig, List.of(send), List.of(recv), region(send), (round, mine) -> {
            if (size() == 1 || n < size() * 1024) {
                return reduceLater(regions(round), 0, n, op, out);
            }
            // Each rank reduces its own 1/P of the elements into a shared result (in rank order, like everyone
            // else would), then every rank copies the whole result: P times less reading than each reducing all.
            int from = (int) ((long) n * rank() / size());
            int to = (int) ((long) n * (rank() + 1) / size());
            Region[] all = regions(round);
            if (out.dtype().isFloatingPoint()) {
                float[] result = (float[]) round.shared(() -> new float[n]);
                System.arraycopy(reduceFloats(all, from, to - from, op), 0, result, from, to - from);
                return () -> out.access().writeFloats(0, result, 0, result.length);
            }
            long[] result = (long[]) round.shared(() -> new long[n]);
            System.arraycopy(reduceLongs(all, from, to - from, op, out.dtype()), 0, result, from, to - from);
            return () -> out.access().writeLongs(0, result, 0, result.length);
        }, bytes);
    }

    @Override
    public void allGather(Stream stream, Tensor send, Tensor recv) {
        CollectiveContract.allGather(this, stream, send, recv);
        int n = elements("allGather", send);
        String sig = "allGather(" + send.dtype() + " x" + n + ")";
        Region out = region(recv);
        collective(stream, "allGather", sig, List.of(send), List.of(recv), region(send), (round, mine) -> {
            Region[] all = regions(round);
            PeerCopies copies = new PeerCopies(size());
            for (int r = 0; r < size(); r++) {
                read(copies, r, all[r], 0, n);
            }
            return () -> {
                for (int r = 0; r < size(); r++) {
                    write(copies, r, out, (long) r * n);
                }
            };
        }, (size() - 1L) * send.byteSize());
    }

    @Override
    public void reduceScatter(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        CollectiveContract.reduceScatter(this, stream, send, recv, op);
        int n = elements("reduceScatter", recv);
        String sig = "reduceScatter(" + send.dtype() + " x" + n + ", " + op + ")";
        Region out = region(recv);
        collective(stream, "reduceScatter", sig, List.of(send), List.of(recv), region(send), (round, mine) -> {
            Region[] all = regions(round);
            Runnable write = reduceLater(all, (long) rank() * n, n, op, out);
            return write;
        }, (size() - 1L) * recv.byteSize());
    }

    @Override
    public void allToAll(Stream stream, Tensor send, Tensor recv) {
        CollectiveContract.allToAll(this, stream, send, recv);
        long chunk = send.numel() / size();
        long[] counts = new long[size()];
        long[] displs = new long[size()];
        for (int r = 0; r < size(); r++) {
            counts[r] = chunk;
            displs[r] = r * chunk;
        }
        exchangeV(stream, "allToAll", send, counts, displs, recv, counts, displs);
    }

    @Override
    public void allToAllV(Stream stream, Tensor send, long[] sendCounts, long[] sendDispls,
                          Tensor recv, long[] recvCounts, long[] recvDispls) {
        CollectiveContract.allToAllV(this, stream, send, sendCounts, sendDispls, recv, recvCounts, recvDispls);
        exchangeV(stream, "allToAllV", send, sendCounts.clone(), sendDispls.clone(), recv, recvCounts.clone(),
                recvDispls.clone());
    }

    private void exchangeV(Stream stream, String name, Tensor send, long[] sendCounts, long[] sendDispls,
                           Tensor recv, long[] recvCounts, long[] recvDispls) {
        String sig = name + "(" + send.dtype() + ")";
        long out = 0;
        long in = 0;
        for (int r = 0; r < size(); r++) {
            if (r != rank()) {
                out += sendCounts[r];
                in += recvCounts[r];
            }
        }
        long bytes = Math.max(out, in) * send.dtype().byteSize();
        VPayload payload = new VPayload(region(send), sendCounts, sendDispls);
        Region target = region(recv);
        collective(stream, name, sig, List.of(send), List.of(recv), payload, (round, mine) -> {
            PeerCopies pieces = new PeerCopies(size());
            for (int r = 0; r < size(); r++) {
                VPayload peer = (VPayload) round.payloadOf(r);
                if (peer.sendCounts()[rank()] != recvCounts[r]) {
                    throw new CollectiveException(name + " on rank " + rank() + ": expects " + recvCounts[r]
                            + " elements from rank " + r + " but rank " + r + " sends " + peer.sendCounts()[rank()]);
                }
                read(pieces, r, peer.send(), peer.sendDispls()[rank()], Math.toIntExact(recvCounts[r]));
            }
            return () -> {
                for (int r = 0; r < size(); r++) {
                    write(pieces, r, target, recvDispls[r]);
                }
            };
        }, bytes);
    }

    @Override
    public void broadcast(Stream stream, Tensor tensor, int root) {
        CollectiveContract.broadcast(this, stream, tensor, root);
        int n = elements("broadcast", tensor);
        String sig = "broadcast(" + tensor.dtype() + " x" + n + ", root " + root + ")";
        Region out = region(tensor);
        collective(stream, "broadcast", sig, List.of(tensor), List.of(tensor), out, (round, mine) -> {
            PeerCopies data = new PeerCopies(1);
            if (rank() != root) {
                read(data, 0, (Region) round.payloadOf(root), 0, n);
            }
            return () -> write(data, 0, out, 0);
        }, tensor.byteSize());
    }

    @Override
    public void send(Stream stream, Tensor tensor, int peer) {
        CollectiveContract.pointToPoint(this, "send", stream, tensor, peer);
        int n = elements("send", tensor);
        synchronized (this) {
            String key = "p2p " + rank() + "->" + peer + " #" + sent.get(peer);
            pointToPoint(stream, "send", key, peer, tensor, n, false);
            sent.incrementAndGet(peer);
        }
    }

    @Override
    public void recv(Stream stream, Tensor tensor, int peer) {
        CollectiveContract.pointToPoint(this, "recv", stream, tensor, peer);
        int n = elements("recv", tensor);
        synchronized (this) {
            String key = "p2p " + peer + "->" + rank() + " #" + received.get(peer);
            pointToPoint(stream, "recv", key, peer, tensor, n, true);
            received.incrementAndGet(peer);
        }
    }

    private void pointToPoint(Stream stream, String name, String key, int peer, Tensor tensor, int n, boolean receiving) {
        HostStream s = ownStream(stream, name);
        String sig = "p2p(" + tensor.dtype() + " x" + n + ")";
        int[] ranks = receiving ? new int[]{peer, rank()} : new int[]{rank(), peer};
        List<HostBuffer> touched = List.of(device().ownBuffer(tensor.buffer(), name));
        Region mine = region(tensor);
        watch(s);
        s.enqueue(name + "(peer " + peer + ")", touched, () -> {
            String description = name + " " + key;
            CollectiveGroup.Round round = group.arrive(key, ranks, rank(), sig, mine, description);
            PeerCopies data = new PeerCopies(1);
            readOrAbort(round, description, () -> {
                if (receiving) {
                    read(data, 0, (Region) round.payloadOf(peer), 0, n);
                }
                return data;
            });
            group.finishReading(round, description);
            write(data, 0, mine, 0);
            group.emulateTransfer(round, tensor.byteSize(), description);
        });
    }

    @Override
    public void barrier(Stream stream) {
        CollectiveContract.barrier(this, stream);
        collective(stream, "barrier", "barrier", List.of(), List.of(), null, (round, mine) -> {
            return () -> { };
        }, 0);
    }

    // ---- common machinery ----

    /** Reads peers during the rendezvous and returns the local writes to do once everyone has read. */
    @FunctionalInterface
    private interface Exchange {
        Runnable readPeers(CollectiveGroup.Round round, Object mine);
    }

    private void collective(Stream stream, String name, String signature, List<Tensor> reads, List<Tensor> writes,
                            Object payload, Exchange exchange, long linkBytes) {
        checkOpen(name);
        HostStream s = ownStream(stream, name);
        List<HostBuffer> touched = new ArrayList<>();
        for (Tensor t : reads) {
            touched.add(device().ownBuffer(t.buffer(), name));
        }
        for (Tensor t : writes) {
            touched.add(device().ownBuffer(t.buffer(), name));
        }
        // Each rank's n-th collective meets the others' n-th; the index advances only if the enqueue succeeded.
        synchronized (this) {
            String key = "collective #" + collectives.get();
            watch(s);
            s.enqueue(name, touched, () -> {
                String description = name + " (" + key + ") on rank " + rank();
                CollectiveGroup.Round round = group.arrive(key, everyone, rank(), signature, payload, description);
                Runnable write = readOrAbort(round, description, () -> exchange.readPeers(round, payload));
                group.finishReading(round, description);
                write.run();
                group.emulateTransfer(round, linkBytes, description);
            });
            collectives.incrementAndGet();
        }
    }

    /**
     * Reads the peers' payloads; a failure here (e.g. all-to-all-v counts that do not match) aborts the group, so
     * that the peers waiting for this rank to finish reading fail at once with this failure as the cause.
     */
    private <T> T readOrAbort(CollectiveGroup.Round round, String description, java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (RuntimeException | Error e) {
            group.abort(description + " failed on rank " + rank() + ": " + e.getMessage(), e);
            throw e;
        }
    }

    /**
     * Aborts the group when a stream that carries this rank's collectives fails: its peers would otherwise wait at
     * the next rendezvous until the timeout for a rank whose stream now skips its work.
     */
    private void watch(HostStream s) {
        if (watched.add(s)) {
            s.onFailure((operation, cause) -> group.abort("stream '" + s.name() + "' of rank " + rank()
                    + " failed in '" + operation + "': " + cause, cause));
        }
    }

    private Region[] regions(CollectiveGroup.Round round) {
        Region[] all = new Region[size()];
        for (int r = 0; r < size(); r++) {
            all[r] = (Region) round.payloadOf(r);
        }
        return all;
    }

    private Runnable reduceLater(Region[] all, long elementOffset, int n, ReduceOp op, Region out) {
        if (out.dtype().isFloatingPoint()) {
            float[] acc = reduceFloats(all, elementOffset, n, op);
            return () -> out.access().writeFloats(0, acc, 0, acc.length);
        }
        long[] acc = reduceLongs(all, elementOffset, n, op, out.dtype());
        return () -> out.access().writeLongs(0, acc, 0, acc.length);
    }

    /** Elements [offset, offset + n) of every rank's contribution, combined in rank order. */
    private static float[] reduceFloats(Region[] all, long elementOffset, int n, ReduceOp op) {
        float[] acc = new float[n];
        all[0].access().readFloats(elementOffset, acc, 0, n);
        float[] v = new float[n];
        for (int r = 1; r < all.length; r++) {
            all[r].access().readFloats(elementOffset, v, 0, n);
            for (int i = 0; i < n; i++) {
                acc[i] = switch (op) {
                    case SUM -> acc[i] + v[i];
                    case PROD -> acc[i] * v[i];
                    case MAX -> Math.max(acc[i], v[i]);
                    case MIN -> Math.min(acc[i], v[i]);
                };
            }
        }
        return acc;
    }

    private static long[] reduceLongs(Region[] all, long elementOffset, int n, ReduceOp op, DType dtype) {
        long[] acc = new long[n];
        all[0].access().readLongs(elementOffset, acc, 0, n);
        long[] v = new long[n];
        boolean bool = dtype == DType.BOOL;
        for (int r = 1; r < all.length; r++) {
            all[r].access().readLongs(elementOffset, v, 0, n);
            for (int i = 0; i < n; i++) {
                acc[i] = switch (op) {
                    case SUM -> bool ? (acc[i] | v[i]) : acc[i] + v[i];
                    case PROD -> bool ? (acc[i] & v[i]) : acc[i] * v[i];
                    case MAX -> Math.max(acc[i], v[i]);
                    case MIN -> Math.min(acc[i], v[i]);
                };
            }
        }
        return acc;
    }

    private static void read(PeerCopies copies, int piece, Region region, long elementOffset, int count) {
        int w = region.dtype().byteSize();
        copies.read(piece, region.segment(), region.byteOffset() + elementOffset * w, Math.multiplyExact(count, w));
    }

    private static void write(PeerCopies copies, int piece, Region region, long elementOffset) {
        copies.write(piece, region.segment(), region.byteOffset() + elementOffset * region.dtype().byteSize());
    }

    private Region region(Tensor t) {
        HostBuffer b = device().ownBuffer(t.buffer(), "collective");
        return new Region(b.segment(), t.byteOffset(), t.numel(), t.dtype(), new TensorAccess(b.segment(), t));
    }

    // ---- validation ----

    private HostStream ownStream(Stream stream, String name) {
        checkOpen(name);
        return device().ownStream(stream, name);
    }

    private static int elements(String name, Tensor t) {
        if (t.numel() > Integer.MAX_VALUE / 8) {
            throw new OutOfRangeException(name + ": " + t.numel() + " elements exceed what one host collective moves");
        }
        return (int) t.numel();
    }

    private void checkOpen(String name) {
        ensureOpen(name);
    }

    @Override
    protected void release() {
        // Peers must not wait out the timeout for a rank that is gone.
        group.abort("communicator rank " + rank() + " was closed", new HandleClosedException(
                "communicator rank " + rank() + "/" + size() + " on " + device().name() + " was closed"));
        device().forget(this);
    }

    @Override
    public String toString() {
        return "HostCommunicator[rank " + rank() + "/" + size() + " on " + device().name() + "]";
    }
}
