package dev.tandem.runtime;

/**
 * One rank of a group of devices that exchange data. Every collective is enqueued on a stream of this
 * rank's device and runs in that stream's order; all ranks must issue the same collectives in the same order.
 * Tensors must be contiguous and on this rank's device; counts and displacements are in elements.
 * A rank that does not arrive within the communicator's timeout fails the stream with a
 * {@link CollectiveTimeoutException} naming the missing ranks, instead of hanging.
 *
 * <p>Some collective libraries (HCCL) set up their links inside the first operation on a communicator and block the
 * calling thread there until every rank made the same call. {@link TandemRuntime#createCommunicators} performs
 * that first operation itself, one thread per rank, so its communicators may be driven from one thread; ranks
 * joined separately must issue their first operation concurrently (one thread or process per rank).
 */
public interface Communicator extends AutoCloseable {

    int rank();

    int size();

    Device device();

    /**
     * Whether {@link #allReduce} and {@link #reduceScatter} support this dtype with this op here (default: all).
     * Collective libraries restrict reductions per chip (HCCL on Atlas A2 has no unsigned types and no PROD on BF16);
     * an unsupported combination throws before anything is enqueued.
     */
    default boolean supportsReduction(DType dtype, ReduceOp op) {
        return true;
    }

    /** {@code recv = op over ranks of send}; send and recv have equal shapes and may be the same tensor. */
    void allReduce(Stream stream, Tensor send, Tensor recv, ReduceOp op);

    /** {@code recv} holds every rank's {@code send}, in rank order; {@code recv} has {@code size} times the elements. */
    void allGather(Stream stream, Tensor send, Tensor recv);

    /** Reduces {@code send} over ranks and keeps this rank's {@code 1/size} chunk in {@code recv}. */
    void reduceScatter(Stream stream, Tensor send, Tensor recv, ReduceOp op);

    /** Equal chunks: chunk {@code j} of {@code send} goes to rank {@code j}, and arrives as chunk {@code rank} there. */
    void allToAll(Stream stream, Tensor send, Tensor recv);

    /**
     * Variable all-to-all: {@code sendCounts[j]} elements starting at {@code sendDispls[j]} of {@code send} go to
     * rank {@code j}; {@code recvCounts[j]} elements from rank {@code j} land at {@code recvDispls[j]} of
     * {@code recv}. Zero counts are allowed. Each rank's {@code recvCounts[j]} must equal rank {@code j}'s
     * {@code sendCounts[rank]}.
     */
    void allToAllV(Stream stream, Tensor send, long[] sendCounts, long[] sendDispls,
                   Tensor recv, long[] recvCounts, long[] recvDispls);

    /** Copies {@code root}'s tensor into every other rank's tensor. */
    void broadcast(Stream stream, Tensor tensor, int root);

    /** Point-to-point send to {@code peer}; matched by that peer's {@link #recv} in order. */
    void send(Stream stream, Tensor tensor, int peer);

    /** Point-to-point receive from {@code peer}. */
    void recv(Stream stream, Tensor tensor, int peer);

    /** Completes on each rank's stream only after every rank's stream has reached it. */
    void barrier(Stream stream);

    @Override
    void close();
}
