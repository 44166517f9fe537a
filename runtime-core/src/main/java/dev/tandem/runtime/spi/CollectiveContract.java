package dev.tandem.runtime.spi;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;

import java.util.Arrays;
import java.util.Objects;

/**
 * The argument rules of {@link Communicator}, written once: every backend's collective calls the matching check
 * here first, before it touches the stream. The rules, in the order they are checked:
 * <ul>
 *   <li>{@code NullPointerException} for a null stream, tensor, op or count array;
 *       {@link HandleClosedException} for a closed communicator or stream;
 *       {@link WrongDeviceException} for a stream or tensor of another device than the rank's.</li>
 *   <li>{@link ShapeException} for a strided tensor, send and recv of different dtypes, or element counts that
 *       do not fit the collective (allReduce: equal; allGather: recv = size x send; reduceScatter:
 *       send = size x recv; allToAll: equal and divisible by size).</li>
 *   <li>{@link InvalidArgumentException} for count or displacement arrays whose length is not the group size,
 *       and for a send or recv addressed to the rank itself.</li>
 *   <li>{@link OutOfRangeException} for a peer or root outside the group, and for a negative count or
 *       displacement or a range {@code [displ, displ + count)} beyond the tensor.</li>
 * </ul>
 * Whether the ranks' counts match each other is only known when they meet; a mismatch fails the collective on
 * the streams with {@link dev.tandem.runtime.CollectiveException}.
 */
public final class CollectiveContract {
    private CollectiveContract() {
    }

    /**
     * Checks the arguments of an all-reduce: send and recv hold equally many elements.
     *
     * @param c      the communicator (the calling rank)
     * @param stream the stream the collective would be enqueued on
     * @param send   the rank's contribution
     * @param recv   receives the reduced result
     * @param op     the reduction
     */
    public static void allReduce(Communicator c, Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        pair(c, "allReduce", stream, send, recv);
        Objects.requireNonNull(op, "allReduce: op");
        if (send.numel() != recv.numel()) {
            throw new ShapeException("allReduce: send has " + send.numel() + " elements but recv has " + recv.numel());
        }
    }

    /**
     * Checks the arguments of an all-gather: recv holds group size times send's elements.
     *
     * @param c      the communicator (the calling rank)
     * @param stream the stream the collective would be enqueued on
     * @param send   the rank's contribution
     * @param recv   receives every rank's contribution in rank order
     */
    public static void allGather(Communicator c, Stream stream, Tensor send, Tensor recv) {
        pair(c, "allGather", stream, send, recv);
        if (recv.numel() != send.numel() * c.size()) {
            throw new ShapeException("allGather: recv must hold " + c.size() + " x " + send.numel()
                    + " elements, has " + recv.numel());
        }
    }

    /**
     * Checks the arguments of a reduce-scatter: send holds group size times recv's elements.
     *
     * @param c      the communicator (the calling rank)
     * @param stream the stream the collective would be enqueued on
     * @param send   the rank's full input
     * @param recv   receives the rank's reduced part
     * @param op     the reduction
     */
    public static void reduceScatter(Communicator c, Stream stream, Tensor send, Tensor recv, ReduceOp op) {
        pair(c, "reduceScatter", stream, send, recv);
        Objects.requireNonNull(op, "reduceScatter: op");
        if (send.numel() != recv.numel() * c.size()) {
            throw new ShapeException("reduceScatter: send must hold " + c.size() + " x " + recv.numel()
                    + " elements, has " + send.numel());
        }
    }

    /**
     * Checks the arguments of an all-to-all: send and recv hold equally many elements, divisible by the group size.
     *
     * @param c      the communicator (the calling rank)
     * @param stream the stream the collective would be enqueued on
     * @param send   one equal block per destination rank
     * @param recv   one equal block per source rank
     */
    public static void allToAll(Communicator c, Stream stream, Tensor send, Tensor recv) {
        pair(c, "allToAll", stream, send, recv);
        if (send.numel() != recv.numel() || send.numel() % c.size() != 0) {
            throw new ShapeException("allToAll: send and recv need equal element counts divisible by " + c.size()
                    + ", got " + send.numel() + " and " + recv.numel());
        }
    }

    /**
     * Checks the arguments of an all-to-all-v: each count and displacement array has one entry per rank, and
     * every range {@code [displ, displ + count)} lies within its tensor.
     *
     * @param c          the communicator (the calling rank)
     * @param stream     the stream the collective would be enqueued on
     * @param send       the elements to send
     * @param sendCounts elements sent to each rank
     * @param sendDispls offset in {@code send} of each rank's elements
     * @param recv       receives the elements
     * @param recvCounts elements received from each rank
     * @param recvDispls offset in {@code recv} of each rank's elements
     */
    public static void allToAllV(Communicator c, Stream stream, Tensor send, long[] sendCounts, long[] sendDispls,
                                 Tensor recv, long[] recvCounts, long[] recvDispls) {
        pair(c, "allToAllV", stream, send, recv);
        counts(c, "allToAllV send", send, sendCounts, sendDispls);
        counts(c, "allToAllV recv", recv, recvCounts, recvDispls);
    }

    /**
     * Checks the arguments of a broadcast: the root is a rank of the group.
     *
     * @param c      the communicator (the calling rank)
     * @param stream the stream the collective would be enqueued on
     * @param tensor the root's data, overwritten on the other ranks
     * @param root   the rank that sends
     */
    public static void broadcast(Communicator c, Stream stream, Tensor tensor, int root) {
        tensor(c, "broadcast", stream, tensor);
        peer(c, "broadcast", root, true);
    }

    /**
     * Checks the arguments of a point-to-point send or receive: the peer is another rank of the group.
     *
     * @param c         the communicator (the calling rank)
     * @param operation {@code "send"} or {@code "recv"}, named in errors
     * @param stream    the stream the operation would be enqueued on
     * @param tensor    the data sent or the tensor that receives
     * @param peer      the rank on the other end
     */
    public static void pointToPoint(Communicator c, String operation, Stream stream, Tensor tensor, int peer) {
        tensor(c, operation, stream, tensor);
        peer(c, operation, peer, false);
    }

    /**
     * Checks the arguments of a barrier: an open communicator and an open stream of its device.
     *
     * @param c      the communicator (the calling rank)
     * @param stream the stream the collective would be enqueued on
     */
    public static void barrier(Communicator c, Stream stream) {
        stream(c, "barrier", stream);
    }

    private static void stream(Communicator c, String name, Stream stream) {
        Objects.requireNonNull(stream, name + ": stream");
        if (c.isClosed()) {
            throw new HandleClosedException(name + ": communicator rank " + c.rank() + " is closed");
        }
        if (stream.device() != c.device()) {
            throw new WrongDeviceException(name + ": stream '" + stream.name() + "' of " + stream.device().name()
                    + " passed to rank " + c.rank() + " on " + c.device().name());
        }
        if (stream.isClosed()) {
            throw new HandleClosedException(name + ": stream '" + stream.name() + "' is closed");
        }
    }

    private static void tensor(Communicator c, String name, Stream stream, Tensor t) {
        stream(c, name, stream);
        check(c, name, t);
    }

    private static void check(Communicator c, String name, Tensor t) {
        Objects.requireNonNull(t, name + ": tensor");
        if (t.device() != c.device()) {
            throw new WrongDeviceException(name + ": tensor on " + t.device().name() + " passed to rank " + c.rank()
                    + " on " + c.device().name());
        }
        if (t.buffer().isClosed()) {
            throw new HandleClosedException(name + ": tensor " + t + " uses a closed (freed) buffer");
        }
        if (!t.isContiguous()) {
            throw new ShapeException(name + ": collectives need contiguous tensors, got " + t);
        }
    }

    private static void pair(Communicator c, String name, Stream stream, Tensor send, Tensor recv) {
        stream(c, name, stream);
        check(c, name + " send", send);
        check(c, name + " recv", recv);
        if (send.dtype() != recv.dtype()) {
            throw new ShapeException(name + ": send is " + send.dtype() + " but recv is " + recv.dtype());
        }
    }

    private static void peer(Communicator c, String name, int peer, boolean selfAllowed) {
        if (peer < 0 || peer >= c.size()) {
            throw new OutOfRangeException(name + ": rank " + peer + " is outside the group of " + c.size());
        }
        if (!selfAllowed && peer == c.rank()) {
            throw new InvalidArgumentException(name + ": rank " + c.rank() + " cannot address itself");
        }
    }

    private static void counts(Communicator c, String name, Tensor t, long[] counts, long[] displs) {
        Objects.requireNonNull(counts, name + " counts");
        Objects.requireNonNull(displs, name + " displacements");
        if (counts.length != c.size() || displs.length != c.size()) {
            throw new InvalidArgumentException(name + ": counts and displacements need " + c.size()
                    + " entries, got " + counts.length + " and " + displs.length);
        }
        for (int r = 0; r < c.size(); r++) {
            if (counts[r] < 0 || displs[r] < 0) {
                throw new OutOfRangeException(name + ": negative count or displacement for rank " + r + ": count "
                        + counts[r] + ", displacement " + displs[r]);
            }
            if (counts[r] > t.numel() || displs[r] > t.numel() - counts[r]) {
                throw new OutOfRangeException(name + ": rank " + r + "'s range [" + displs[r] + ", " + displs[r]
                        + " + " + counts[r] + ") exceeds the tensor's " + t.numel() + " elements ("
                        + Arrays.toString(counts) + ")");
            }
        }
    }
}
