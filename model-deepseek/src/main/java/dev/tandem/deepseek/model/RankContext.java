package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;

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

    public DeepSeekConfig config() {
        return config;
    }

    public AttentionMode mode() {
        return mode;
    }

    public int rank() {
        return comm.rank();
    }

    public int size() {
        return comm.size();
    }

    public Communicator communicator() {
        return comm;
    }

    public Device device() {
        return device;
    }

    public Kernels kernels() {
        return kernels;
    }

    public Stream computeStream() {
        return compute;
    }

    public Stream commStream() {
        return commStream;
    }

    public DType weightDType() {
        return weightDType;
    }

    public MlaMode mlaMode() {
        return mlaMode;
    }

    public Tensor ropeFrequencies() {
        return ropeFrequencies;
    }

    /** Routed experts held by this rank: {@code [start, end)} (contiguous placement). */
    public int expertStart() {
        return rank() * expertsPerRank();
    }

    public int expertEnd() {
        return expertStart() + expertsPerRank();
    }

    public int expertsPerRank() {
        return config.nRoutedExperts() / size();
    }

    /** Attention heads computed here: all of them under DP, {@code H/P} under TP. */
    public int localHeads() {
        return mode == AttentionMode.TP ? config.numAttentionHeads() / size() : config.numAttentionHeads();
    }

    public int headStart() {
        return mode == AttentionMode.TP ? rank() * localHeads() : 0;
    }

    /** Allocates an F32 tensor owned by {@code mb}'s current layer, ordered on {@code stream}. */
    public Tensor temp(DecoderMicroBatch mb, Stream stream, long... shape) {
        return mb.layerOwned(Tensor.allocate(device, stream, DType.F32, shape));
    }

    public Tensor tempOf(DecoderMicroBatch mb, Stream stream, DType dtype, long... shape) {
        return mb.layerOwned(Tensor.allocate(device, stream, dtype, shape));
    }

    /** Uploads an index array as a layer-owned I32 tensor. */
    public Tensor upload(DecoderMicroBatch mb, Stream stream, int[] values) {
        Tensor t = tempOf(mb, stream, DType.I32, Math.max(values.length, 0));
        if (values.length > 0) {
            stream.upload(values, t);
        }
        return t;
    }

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
