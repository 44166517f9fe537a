package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;

import java.util.concurrent.atomic.AtomicLong;

/** What the stages of one rank share: device, communicator, streams, config and constant tensors. */
public final class RankContext implements AutoCloseable {
    private final DeepSeekConfig config;
    private final AttentionMode mode;
    private volatile Communicator comm;
    private final Device device;
    private final Kernels kernels;
    private volatile Stream compute;
    private volatile Stream commStream;
    private final Tensor ropeFrequencies;
    private final DType weightDType;
    private final MlaMode mlaMode;
    private volatile ExpertLoadListener expertLoad;
    private final AtomicLong routingCalls = new AtomicLong();

    RankContext(DeepSeekConfig config, AttentionMode mode, Communicator comm, DType weightDType, MlaMode mlaMode) {
        this.mlaMode = mlaMode;
        this.config = config;
        this.mode = mode;
        this.comm = comm;
        this.device = comm.device();
        this.kernels = device.kernels();
        this.weightDType = weightDType;
        this.compute = device.createStream(StreamOptions.compute("rank" + comm.rank() + "-compute"));
        this.commStream = device.createStream(StreamOptions.comm("rank" + comm.rank() + "-comm"));
        double[] inv = config.ropeInverseFrequencies();
        float[] f = new float[inv.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) inv[i];
        }
        this.ropeFrequencies = Tensor.allocate(device, compute, DType.F32, f.length);
        compute.upload(f, ropeFrequencies);
    }

    /** Sets who hears this rank's routing decisions (null: nobody). */
    void expertLoadListener(ExpertLoadListener listener) {
        this.expertLoad = listener;
    }

    /** {@return who hears this rank's routing decisions, or null} */
    ExpertLoadListener expertLoadListener() {
        return expertLoad;
    }

    /** Numbers a routing kernel issued on this rank's device: how many were issued before it. */
    long nextRoutingCall() {
        return routingCalls.getAndIncrement();
    }

    /** {@return the model config} */
    public DeepSeekConfig config() {
        return config;
    }

    /** {@return how attention is parallelised over the ranks} */
    public AttentionMode mode() {
        return mode;
    }

    /** {@return this rank's index in its communicator group} */
    public int rank() {
        return comm.rank();
    }

    /** {@return the number of ranks} */
    public int size() {
        return comm.size();
    }

    /** {@return this rank's communicator (replaced after a failed step)} */
    public Communicator communicator() {
        return comm;
    }

    /** {@return this rank's device} */
    public Device device() {
        return device;
    }

    /** {@return the device's kernels} */
    public Kernels kernels() {
        return kernels;
    }

    /** {@return the stream compute stages issue on} */
    public Stream computeStream() {
        return compute;
    }

    /** {@return the stream communication stages issue on} */
    public Stream commStream() {
        return commStream;
    }

    /** {@return the dtype weights are stored in on the device} */
    public DType weightDType() {
        return weightDType;
    }

    /** {@return how MLA attention is computed} */
    public MlaMode mlaMode() {
        return mlaMode;
    }

    /** {@return the rope inverse frequencies {@code [qk_rope_head_dim / 2]} (F32) on the device} */
    public Tensor ropeFrequencies() {
        return ropeFrequencies;
    }

    /**
     * Routed experts held by this rank: {@code [start, end)} (contiguous placement).
     *
     * @return the first routed expert held
     */
    public int expertStart() {
        return rank() * expertsPerRank();
    }

    /** {@return the end (exclusive) of the routed experts held} */
    public int expertEnd() {
        return expertStart() + expertsPerRank();
    }

    /** {@return routed experts per rank: {@code n_routed_experts / size()}} */
    public int expertsPerRank() {
        return config.nRoutedExperts() / size();
    }

    /**
     * Attention heads computed here: all of them under DP, {@code H/P} under TP.
     *
     * @return the number of local heads
     */
    public int localHeads() {
        return mode == AttentionMode.TP ? config.numAttentionHeads() / size() : config.numAttentionHeads();
    }

    /** {@return the first head computed here (0 under DP)} */
    public int headStart() {
        return mode == AttentionMode.TP ? rank() * localHeads() : 0;
    }

    /**
     * Allocates an F32 tensor owned by {@code mb}'s current layer, ordered on {@code stream}.
     *
     * @param mb     the micro-batch that owns the tensor until its layer ends
     * @param stream the stream the allocation is ordered on
     * @param shape  the dimensions
     * @return the tensor
     */
    public Tensor temp(DecoderMicroBatch mb, Stream stream, long... shape) {
        return mb.layerOwned(Tensor.allocate(device, stream, DType.F32, shape));
    }

    /**
     * Allocates a tensor of any dtype owned by {@code mb}'s current layer, ordered on {@code stream}.
     *
     * @param mb     the micro-batch that owns the tensor until its layer ends
     * @param stream the stream the allocation is ordered on
     * @param dtype  the element type
     * @param shape  the dimensions
     * @return the tensor
     */
    public Tensor tempOf(DecoderMicroBatch mb, Stream stream, DType dtype, long... shape) {
        return mb.layerOwned(Tensor.allocate(device, stream, dtype, shape));
    }

    /**
     * Uploads an index array as a layer-owned I32 tensor.
     *
     * @param mb     the micro-batch that owns the tensor until its layer ends
     * @param stream the stream the upload is ordered on
     * @param values the indices
     * @return a {@code [values.length]} I32 tensor
     */
    public Tensor upload(DecoderMicroBatch mb, Stream stream, int[] values) {
        Tensor t = tempOf(mb, stream, DType.I32, Math.max(values.length, 0));
        if (values.length > 0) {
            stream.upload(values, t);
        }
        return t;
    }

    /**
     * Uploads float values as a layer-owned F32 tensor.
     *
     * @param mb     the micro-batch that owns the tensor until its layer ends
     * @param stream the stream the upload is ordered on
     * @param values the values, row-major
     * @param shape  the dimensions
     * @return the tensor
     */
    public Tensor upload(DecoderMicroBatch mb, Stream stream, float[] values, long... shape) {
        Tensor t = temp(mb, stream, shape);
        if (values.length > 0) {
            stream.upload(values, t);
        }
        return t;
    }

    /**
     * After a failed step: fresh streams (a stream's failure is sticky) and the rank's communicator of a fresh
     * group (the old group was aborted). The old streams are closed; their failure is not rethrown.
     */
    void renew(Communicator fresh) {
        Stream oldCompute = compute;
        Stream oldComm = commStream;
        this.comm = fresh;
        this.compute = device.createStream(StreamOptions.compute("rank" + fresh.rank() + "-compute"));
        this.commStream = device.createStream(StreamOptions.comm("rank" + fresh.rank() + "-comm"));
        dev.tandem.runtime.spi.Closer.runAll(java.util.List.of(oldCompute::close, oldComm::close));
    }

    @Override
    public void close() {
        ropeFrequencies.buffer().close();
        compute.close();
        commStream.close();
    }
}
