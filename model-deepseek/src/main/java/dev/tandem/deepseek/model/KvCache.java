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

    /**
     * Tokens cached so far (as issued: counts appends already enqueued).
     *
     * @return the token count
     */
    public int length() {
        return length;
    }

    private int capacity() {
        return latent == null ? 0 : latent.size(0);
    }

    /**
     * Makes room for {@code extra} more tokens now, before a step: a step then never moves the cache, so a step
     * that fails part-way (its stream skips the rest, copies included) leaves the earlier tokens intact and
     * {@link #truncate} can undo it.
     */
    void reserve(Kernels k, Stream stream, int extra) {
        grow(k, stream, length + extra);
    }

    /** Forgets tokens past {@code len} (undoing a failed step's appends); the memory stays reserved. */
    void truncate(int len) {
        if (len < 0 || len > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " tokens to " + len);
        }
        length = len;
    }

    /** Bytes held on the device. */
    long bytes() {
        return (long) capacity() * (latentDim + ropeDim) * Float.BYTES;
    }

    /** Device bytes holding {@code extra} more tokens would add (0 when they fit the current capacity). */
    long growthBytes(int extra) {
        return growthBytes(capacity(), length + extra, latentDim + ropeDim);
    }

    /** The growth policy, for caches that do not exist yet too: doubling, at least 16 rows. */
    static long growthBytes(int capacity, int needed, int rowValues) {
        return needed <= capacity ? 0 : (long) (newCapacity(capacity, needed) - capacity) * rowValues * Float.BYTES;
    }

    private static int newCapacity(int capacity, int needed) {
        return Math.max(16, Math.max(needed, capacity * 2));
    }

    private void grow(Kernels k, Stream stream, int needed) {
        int prior = length;
        if (needed > capacity()) {
            int cap = newCapacity(capacity(), needed);
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
    }

    /** Appends {@code n} rows of latent and rope key on {@code stream}; returns the previous length. */
    int append(Kernels k, Stream stream, Tensor newLatent, Tensor newRopeKey) {
        if (newLatent.size(0) == 0) {
            return length;
        }
        Slot slot = appendSlot(k, stream, newLatent.size(0));
        k.copy(stream, newLatent, slot.latent());
        k.copy(stream, newRopeKey, slot.ropeKey());
        return slot.prior();
    }

    /**
     * Where {@code n} appended rows go: room is made on {@code stream} and the rows count as cached at once, so the
     * caller must copy them in on {@code stream} before anything reads them (a decode step appends every
     * sequence's new row in one {@link Kernels#copyEach}).
     *
     * @param prior   the length before the append
     * @param latent  the rows' latent slots, {@code [n, kv_lora_rank]}
     * @param ropeKey the rows' rope key slots, {@code [n, qk_rope_head_dim]}
     */
    record Slot(int prior, Tensor latent, Tensor ropeKey) {
    }

    /** Makes room for {@code n >= 1} more rows on {@code stream} and returns their slots, counted as cached. */
    Slot appendSlot(Kernels k, Stream stream, int n) {
        int prior = length;
        grow(k, stream, prior + n);
        length = prior + n;
        return new Slot(prior, latent.slice(0, prior, prior + n), ropeKey.slice(0, prior, prior + n));
    }

    /**
     * Counts {@code n} more tokens as cached without writing them, allocating room on {@code stream} for them and
     * {@code extra} more: how a simulated device (shapes only) gets a decode request's context, with the room for
     * the step's new tokens that a serving engine reserves before each step ({@link #reserve}), so the step appends
     * without moving the cache.
     */
    void assumeCached(Stream stream, int n, int extra) {
        if (length + n + extra > capacity()) {
            int cap = Math.max(16, length + n + extra);
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
