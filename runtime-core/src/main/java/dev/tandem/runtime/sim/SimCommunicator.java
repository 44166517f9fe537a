package dev.tandem.runtime.sim;

import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.spi.CollectiveContract;
import dev.tandem.runtime.spi.CommunicatorHandle;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * One simulated rank. Collectives are validated like the host backend's, cost latency + wire bytes / bandwidth
 * ({@link CostModel#collectiveNanos}) with the same per-rank byte counts as the host's emulated link, and move
 * real bytes only for all-gathers and broadcasts of data-carrying buffers (the small count exchanges that
 * layers decide on); their outputs then carry data whatever their size, since they grow with the group. In a group
 * with virtual ranks ({@link SimRuntime#createCommunicators(java.util.List, dev.tandem.runtime.CommunicatorOptions,
 * int)}), {@code size()} and every cost count the whole group, and a virtual rank's part of an exchange is its
 * mirror's.
 */
final class SimCommunicator extends CommunicatorHandle<SimDevice> {
    private final SimGroup group;
    private long sequence;

    SimCommunicator(SimGroup group, SimDevice device, int rank) {
        super(device, rank, group.size());
        this.group = group;
    }

    private CostModel costs() {
        return device().simRuntime().costs();
    }

    @Override
    public void allReduce(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        CollectiveContract.allReduce(this, stream, send, recv, op);
        double bytes = size() < 2 ? 0 : 2.0 * (size() - 1) * wire(send) / size();
        collective(stream, "allReduce", "allReduce(" + send.dtype() + " x" + send.numel() + ", " + op + ")", bytes,
                null, null);
    }

    @Override
    public void allGather(Stream stream, Tensor send, Tensor recv) {
        CollectiveContract.allGather(this, stream, send, recv);
        Tensor[] pair = {send, recv};
        collective(stream, "allGather", "allGather(" + send.dtype() + " x" + send.numel() + ")",
                (size() - 1.0) * wire(send), pair, payloads -> {
                    long n = send.byteSize();
                    for (Object p : payloads) {
                        if (data(((Tensor[]) p)[0]) == null) {
                            return;   // shape-only inputs: nothing to gather
                        }
                    }
                    for (Object p : payloads) {
                        MemorySegment target = ((SimBuffer) ((Tensor[]) p)[1].buffer()).gatheredData();
                        for (int r = 0; r < size(); r++) {
                            // a virtual rank's part is its mirror's (the group's own ranks when all are simulated)
                            Tensor from = ((Tensor[]) payloads[r % payloads.length])[0];
                            MemorySegment.copy(data(from), from.byteOffset(), target,
                                    ((Tensor[]) p)[1].byteOffset() + r * n, n);
                        }
                    }
                });
    }

    @Override
    public void reduceScatter(Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        CollectiveContract.reduceScatter(this, stream, send, recv, op);
        collective(stream, "reduceScatter", "reduceScatter(" + send.dtype() + " x" + recv.numel() + ", " + op + ")",
                (size() - 1.0) * wire(recv), null, null);
    }

    @Override
    public void allToAll(Stream stream, Tensor send, Tensor recv) {
        CollectiveContract.allToAll(this, stream, send, recv);
        double bytes = (double) send.numel() / size() * (size() - 1) * costs().wireBytes(send.dtype());
        collective(stream, "allToAll", "allToAll(" + send.dtype() + ")", bytes, null, null);
    }

    @Override
    public void allToAllV(Stream stream, Tensor send, long[] sendCounts, long[] sendDispls,
                          Tensor recv, long[] recvCounts, long[] recvDispls) {
        CollectiveContract.allToAllV(this, stream, send, sendCounts, sendDispls, recv, recvCounts, recvDispls);
        long out = 0;
        long in = 0;
        for (int r = 0; r < size(); r++) {
            if (r != rank()) {
                out += sendCounts[r];
                in += recvCounts[r];
            }
        }
        long[][] counts = {sendCounts.clone(), recvCounts.clone()};
        collective(stream, "allToAllV", "allToAllV(" + send.dtype() + ")",
                Math.max(out, in) * costs().wireBytes(send.dtype()), counts, payloads -> {
                    // Only simulated receivers' expectations are known; a virtual sender sends what its mirror does.
                    for (int q = 0; q < payloads.length; q++) {
                        long[] expected = ((long[][]) payloads[q])[1];
                        for (int r = 0; r < size(); r++) {
                            long sent = ((long[][]) payloads[r % payloads.length])[0][q];
                            if (sent != expected[r]) {
                                throw new CollectiveException("allToAllV on rank " + q + ": expects "
                                        + expected[r] + " elements from rank " + r + " but rank " + r + " sends " + sent
                                        + (r < payloads.length ? "" : " (as its mirror, rank " + r % payloads.length + ")"));
                            }
                        }
                    }
                });
    }

    @Override
    public void broadcast(Stream stream, Tensor tensor, int root) {
        CollectiveContract.broadcast(this, stream, tensor, root);
        collective(stream, "broadcast", "broadcast(" + tensor.dtype() + " x" + tensor.numel() + ", root " + root + ")",
                wire(tensor), tensor, payloads -> {
                    Tensor from = (Tensor) payloads[root % payloads.length];   // a virtual root sends its mirror's
                    if (data(from) == null) {
                        return;
                    }
                    for (Object p : payloads) {
                        Tensor to = (Tensor) p;
                        if (to != from) {
                            MemorySegment.copy(data(from), from.byteOffset(), ((SimBuffer) to.buffer()).gatheredData(),
                                    to.byteOffset(), from.byteSize());
                        }
                    }
                });
    }

    @Override
    public void send(Stream stream, Tensor tensor, int peer) {
        CollectiveContract.pointToPoint(this, "send", stream, tensor, peer);
        pointToPoint(stream, "send", tensor, peer);
    }

    @Override
    public void recv(Stream stream, Tensor tensor, int peer) {
        CollectiveContract.pointToPoint(this, "recv", stream, tensor, peer);
        pointToPoint(stream, "recv", tensor, peer);
    }

    /** Point-to-point traffic is costed on its own stream without a rendezvous (no data moves). */
    private void pointToPoint(Stream stream, String name, Tensor tensor, int peer) {
        checkOpen(name);
        SimStream s = device().ownStream(stream, name);
        s.enqueueWork(name + "(peer " + peer + ")", costs().collectiveNanos(name, wire(tensor), size()), null,
                SimStream.COMM);
    }

    @Override
    public void barrier(Stream stream) {
        CollectiveContract.barrier(this, stream);
        collective(stream, "barrier", "barrier", 0, null, null);
    }

    private void collective(Stream stream, String name, String signature, double wireBytes, Object payload,
                            Consumer<Object[]> exchange) {
        checkOpen(name);
        SimStream s = device().ownStream(stream, name);
        synchronized (device().simRuntime().lock()) {
            s.checkUsable(name);
            SimGroup.Round round = group.round(sequence, signature, rank(), payload, exchange);
            s.enqueueCollective(name, round, rank(), costs().collectiveNanos(name, wireBytes, size(), s.stage()));
            sequence++;
        }
    }

    private double wire(Tensor t) {
        return t.numel() * costs().wireBytes(t.dtype());
    }

    private static MemorySegment data(Tensor t) {
        return ((SimBuffer) t.buffer()).data();
    }

    private void checkOpen(String name) {
        ensureOpen(name);
    }

    @Override
    protected void release() {
        // nothing native: the group forgets a closed rank when its rounds are resolved
    }
}
