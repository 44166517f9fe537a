package dev.tandem.deepseek.model;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

/**
 * MLA's cache for one request and one layer on one rank: the normalized compressed latent {@code c_kv}
 * {@code [len, kv_lora_rank]} and the rotated shared rope key {@code k_pe} {@code [len, qk_rope_head_dim]}
 * (576 values per token for V3 instead of 40960 for full K/V). Grows by doubling, stream-ordered.
 */
public final class KvCache implements AutoCloseable {
    private final Device device;
    private final int latentDim;
    private final int ropeDim;
    private Tensor latent;
    private Tensor ropeKey;
    private int length;

    KvCache(Device device, int latentDim, int ropeDim) {
        this.device = device;
        this.latentDim = latentDim;
        this.ropeDim = ropeDim;
    }

    /** Tokens cached so far (as issued: counts appends already enqueued). */
    public int length() {
        return length;
    }

    private int capacity() {
        return latent == null ? 0 : latent.size(0);
    }

    /** Appends {@code n} rows of latent and rope key on {@code stream}; returns the previous length. */
    int append(Kernels k, Stream stream, Tensor newLatent, Tensor newRopeKey) {
        int n = newLatent.size(0);
        int prior = length;
        if (prior + n > capacity()) {
            int cap = Math.max(16, Math.max(prior + n, capacity() * 2));
            Tensor l = Tensor.allocate(device, stream, DType.F32, cap, latentDim);
            Tensor r = Tensor.allocate(device, stream, DType.F32, cap, ropeDim);
            if (prior > 0) {
                k.copy(stream, latent.slice(0, 0, prior), l.slice(0, 0, prior));
                k.copy(stream, ropeKey.slice(0, 0, prior), r.slice(0, 0, prior));
            }
            close();
            latent = l;
            ropeKey = r;
        }
        if (n > 0) {
            k.copy(stream, newLatent, latent.slice(0, prior, prior + n));
            k.copy(stream, newRopeKey, ropeKey.slice(0, prior, prior + n));
        }
        length = prior + n;
        return prior;
    }

    /**
     * Counts {@code n} more tokens as cached without writing them, allocating room on {@code stream}: how a
     * simulated device (shapes only) gets a decode request's context.
     */
    void assumeCached(Stream stream, int n) {
        if (length + n > capacity()) {
            int cap = Math.max(16, length + n);
            Tensor l = Tensor.allocate(device, stream, DType.F32, cap, latentDim);
            Tensor r = Tensor.allocate(device, stream, DType.F32, cap, ropeDim);
            close();
            latent = l;
            ropeKey = r;
        }
        length += n;
    }

    /** The first {@code len} cached latents. */
    Tensor latent(int len) {
        return latent.slice(0, 0, len);
    }

    Tensor ropeKey(int len) {
        return ropeKey.slice(0, 0, len);
    }

    @Override
    public void close() {
        if (latent != null) {
            latent.buffer().close();
            ropeKey.buffer().close();
            latent = null;
            ropeKey = null;
        }
    }
}
