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

    /**
     * This rank's index in the group.
     *
     * @return the rank, from 0 to {@link #size()} - 1
     */
    int rank();

    /**
     * The number of ranks in the group.
     *
     * @return the group size, at least 1
     */
    int size();

    /**
     * The device this rank drives.
     *
     * @return the device
     */
    Device device();

    /**
     * Whether {@link #allReduce} and {@link #reduceScatter} support this dtype with this op here (default: all).
     * Collective libraries restrict reductions per chip (HCCL on Atlas A2 has no unsigned types and no PROD on BF16);
     * an unsupported combination throws before anything is enqueued.
     *
     * @param dtype the element type reduced
     * @param op    the reduction
     * @return whether the combination is supported
     */
    default boolean supportsReduction(DType dtype, ReduceOp op) {
        return true;
    }

    /**
     * {@code recv = op over ranks of send}; send and recv have equal shapes and may be the same tensor.
     *
     * @param stream a stream of this rank's device to enqueue on
     * @param send   this rank's contribution
     * @param recv   receives the result; may be {@code send}
     * @param op     the reduction
     */
    void allReduce(Stream stream, Tensor send, Tensor recv, ReduceOp op);

    /**
     * {@code recv} holds every rank's {@code send}, in rank order; {@code recv} has {@code size} times the elements.
     *
     * @param stream a stream of this rank's device to enqueue on
     * @param send   this rank's contribution
     * @param recv   receives all contributions
     */
    void allGather(Stream stream, Tensor send, Tensor recv);

    /**
     * Reduces {@code send} over ranks and keeps this rank's {@code 1/size} chunk in {@code recv}.
     *
     * @param stream a stream of this rank's device to enqueue on
     * @param send   this rank's full input, {@code size} times recv's elements
     * @param recv   receives this rank's reduced chunk
     * @param op     the reduction
     */
    void reduceScatter(Stream stream, Tensor send, Tensor recv, ReduceOp op);

    /**
     * Equal chunks: chunk {@code j} of {@code send} goes to rank {@code j}, and arrives as chunk {@code rank} there.
     *
     * @param stream a stream of this rank's device to enqueue on
     * @param send   {@code size} equal chunks, one per destination
     * @param recv   receives {@code size} equal chunks, one per source; as many elements as {@code send}
     */
    void allToAll(Stream stream, Tensor send, Tensor recv);

    /**
     * Variable all-to-all: {@code sendCounts[j]} elements starting at {@code sendDispls[j]} of {@code send} go to
     * rank {@code j}; {@code recvCounts[j]} elements from rank {@code j} land at {@code recvDispls[j]} of
     * {@code recv}. Zero counts are allowed. Each rank's {@code recvCounts[j]} must equal rank {@code j}'s
     * {@code sendCounts[rank]}.
     *
     * @param stream     a stream of this rank's device to enqueue on
     * @param send       the elements to send
     * @param sendCounts elements sent to each rank, one entry per rank
     * @param sendDispls element offset in {@code send} of each rank's part
     * @param recv       receives the elements
     * @param recvCounts elements received from each rank, one entry per rank
     * @param recvDispls element offset in {@code recv} of each rank's part
     */
    void allToAllV(Stream stream, Tensor send, long[] sendCounts, long[] sendDispls,
                   Tensor recv, long[] recvCounts, long[] recvDispls);

    /**
     * Copies {@code root}'s tensor into every other rank's tensor.
     *
     * @param stream a stream of this rank's device to enqueue on
     * @param tensor the data on the root; overwritten on the other ranks
     * @param root   the rank whose tensor is copied
     */
    void broadcast(Stream stream, Tensor tensor, int root);

    /**
     * Point-to-point send to {@code peer}; matched by that peer's {@link #recv} in order.
     *
     * @param stream a stream of this rank's device to enqueue on
     * @param tensor the data to send
     * @param peer   the receiving rank, not this one
     */
    void send(Stream stream, Tensor tensor, int peer);

    /**
     * Point-to-point receive from {@code peer}.
     *
     * @param stream a stream of this rank's device to enqueue on
     * @param tensor receives the data; as many elements as the peer sends
     * @param peer   the sending rank, not this one
     */
    void recv(Stream stream, Tensor tensor, int peer);

    /**
     * Completes on each rank's stream only after every rank's stream has reached it.
     *
     * @param stream a stream of this rank's device to enqueue on
     */
    void barrier(Stream stream);

    /**
     * True once {@link #close()} has begun.
     *
     * @return whether the communicator is closing or closed
     */
    boolean isClosed();

    @Override
    void close();
}
