package dev.tandem.runtime.sim;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.spi.CollectiveChecks;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One simulated rank. Collectives are validated like the host backend's, cost latency + wire bytes / bandwidth
 * ({@link CostModel#collectiveNanos}) with the same per-rank byte counts as the host's emulated link, and move
 * real bytes only for all-gathers and broadcasts of data-carrying buffers (the small count exchanges that
 * layers decide on).
 */
final class SimCommunicator implements Communicator {
    private final SimGroup group;
    private final SimDevice device;
    private final int rank;
    private long sequence;
    private volatile boolean closed;

    SimCommunicator(SimGroup group, SimDevice device, int rank) {
        this.group = group;
        this.device = device;
        this.rank = rank;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return group.size();
    }

    @Override
    public SimDevice device() {
        return device;
    }

    private CostModel costs() {
        return device.simRuntime().costs();
    }

    @Override
    public void allReduce(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        checkPair("allReduce", send, recv);
        if (send.numel() != recv.numel()) {
            throw new ShapeException("allReduce: send has " + send.numel() + " elements but recv has " + recv.numel());
        }
        double bytes = size() < 2 ? 0 : 2.0 * (size() - 1) * wire(send) / size();
        collective(stream, "allReduce", "allReduce(" + send.dtype() + " x" + send.numel() + ", " + op + ")", bytes,
                null, null);
    }

    @Override
    public void allGather(Stream stream, Tensor send, Tensor recv) {
        checkPair("allGather", send, recv);
        if (recv.numel() != send.numel() * size()) {
            throw new ShapeException("allGather: recv must hold " + size() + " x " + send.numel() + " elements, has "
                    + recv.numel());
        }
        Tensor[] pair = {send, recv};
        collective(stream, "allGather", "allGather(" + send.dtype() + " x" + send.numel() + ")",
                (size() - 1.0) * wire(send), pair, payloads -> {
                    long n = send.byteSize();
                    for (Object p : payloads) {
                        Tensor[] mine = (Tensor[]) p;
                        if (data(mine[0]) == null || ((SimBuffer) mine[1].buffer()).writableData() == null) {
                            return;
                        }
                    }
                    for (Object p : payloads) {
                        MemorySegment target = data(((Tensor[]) p)[1]);
                        for (int r = 0; r < payloads.length; r++) {
                            Tensor from = ((Tensor[]) payloads[r])[0];
                            MemorySegment.copy(data(from), from.byteOffset(), target,
                                    ((Tensor[]) p)[1].byteOffset() + r * n, n);
                        }
                    }
                });
    }

    @Override
    public void reduceScatter(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        checkPair("reduceScatter", send, recv);
        if (send.numel() != recv.numel() * size()) {
            throw new ShapeException("reduceScatter: send must hold " + size() + " x " + recv.numel()
                    + " elements, has " + send.numel());
        }
        collective(stream, "reduceScatter", "reduceScatter(" + send.dtype() + " x" + recv.numel() + ", " + op + ")",
                (size() - 1.0) * wire(recv), null, null);
    }

    @Override
    public void allToAll(Stream stream, Tensor send, Tensor recv) {
        checkPair("allToAll", send, recv);
        if (send.numel() != recv.numel() || send.numel() % size() != 0) {
            throw new ShapeException("allToAll: send and recv need equal element counts divisible by " + size()
                    + ", got " + send.numel() + " and " + recv.numel());
        }
        double bytes = (double) send.numel() / size() * (size() - 1) * costs().wireBytes(send.dtype());
        collective(stream, "allToAll", "allToAll(" + send.dtype() + ")", bytes, null, null);
    }

    @Override
    public void allToAllV(Stream stream, Tensor send, long[] sendCounts, long[] sendDispls,
                          Tensor recv, long[] recvCounts, long[] recvDispls) {
        checkPair("allToAllV", send, recv);
        checkCounts("allToAllV send", send, sendCounts, sendDispls);
        checkCounts("allToAllV recv", recv, recvCounts, recvDispls);
        long out = 0;
        long in = 0;
        for (int r = 0; r < size(); r++) {
            if (r != rank) {
                out += sendCounts[r];
                in += recvCounts[r];
            }
        }
        long[][] counts = {sendCounts.clone(), recvCounts.clone()};
        collective(stream, "allToAllV", "allToAllV(" + send.dtype() + ")",
                Math.max(out, in) * costs().wireBytes(send.dtype()), counts, payloads -> {
                    for (int q = 0; q < payloads.length; q++) {
                        long[] expected = ((long[][]) payloads[q])[1];
                        for (int r = 0; r < payloads.length; r++) {
                            long sent = ((long[][]) payloads[r])[0][q];
                            if (sent != expected[r]) {
                                throw new dev.tandem.runtime.CollectiveException("allToAllV on rank " + q + ": expects "
                                        + expected[r] + " elements from rank " + r + " but rank " + r + " sends " + sent);
                            }
                        }
                    }
                });
    }

    @Override
    public void broadcast(Stream stream, Tensor tensor, int root) {
        checkTensor("broadcast", tensor);
        checkPeer("broadcast", root, true);
        collective(stream, "broadcast", "broadcast(" + tensor.dtype() + " x" + tensor.numel() + ", root " + root + ")",
                wire(tensor), tensor, payloads -> {
                    Tensor from = (Tensor) payloads[root];
                    if (data(from) == null) {
                        return;
                    }
                    for (Object p : payloads) {
                        Tensor to = (Tensor) p;
                        if (to != from && ((SimBuffer) to.buffer()).writableData() != null) {
                            MemorySegment.copy(data(from), from.byteOffset(), data(to), to.byteOffset(), from.byteSize());
                        }
                    }
                });
    }

    @Override
    public void send(Stream stream, Tensor tensor, int peer) {
        checkTensor("send", tensor);
        checkPeer("send", peer, false);
        pointToPoint(stream, "send", tensor, peer);
    }

    @Override
    public void recv(Stream stream, Tensor tensor, int peer) {
        checkTensor("recv", tensor);
        checkPeer("recv", peer, false);
        pointToPoint(stream, "recv", tensor, peer);
    }

    /** Point-to-point traffic is costed on its own stream without a rendezvous (no data moves). */
    private void pointToPoint(Stream stream, String name, Tensor tensor, int peer) {
        checkOpen(name);
        SimStream s = device.ownStream(stream, name);
        s.enqueueWork(name + "(peer " + peer + ")", costs().collectiveNanos(name, wire(tensor), size()), null);
    }

    @Override
    public void barrier(Stream stream) {
        collective(stream, "barrier", "barrier", 0, null, null);
    }

    private void collective(Stream stream, String name, String signature, double wireBytes, Object payload,
                            Consumer<Object[]> exchange) {
        checkOpen(name);
        SimStream s = device.ownStream(stream, name);
        synchronized (device.simRuntime().lock()) {
            s.checkUsable(name);
            SimGroup.Round round = group.round(sequence, signature, rank, payload, exchange);
            s.enqueueCollective(name, round, rank, costs().collectiveNanos(name, wireBytes, size()));
            sequence++;
        }
    }

    private double wire(Tensor t) {
        return t.numel() * costs().wireBytes(t.dtype());
    }

    private static MemorySegment data(Tensor t) {
        return ((SimBuffer) t.buffer()).data();
    }

    private void checkTensor(String name, Tensor t) {
        CollectiveChecks.tensor(this, name, t);
        device.ownBuffer(t.buffer(), name);
    }

    private void checkPair(String name, Tensor send, Tensor recv) {
        CollectiveChecks.pair(this, name, send, recv);
        device.ownBuffer(send.buffer(), name);
        device.ownBuffer(recv.buffer(), name);
    }

    private void checkPeer(String name, int peer, boolean selfAllowed) {
        CollectiveChecks.peer(this, name, peer, selfAllowed);
    }

    private void checkCounts(String name, Tensor t, long[] counts, long[] displs) {
        CollectiveChecks.counts(this, name, t, counts, displs);
    }

    private void checkOpen(String name) {
        if (closed) {
            throw new IllegalStateException(name + ": communicator rank " + rank + " is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
