package dev.tandem.deepseek.model;

import dev.tandem.runtime.Device;

import java.util.HashMap;
import java.util.Map;

/** One request's KV state on one rank: an MLA cache per decoder layer. */
public final class RankSequence implements AutoCloseable {
    private final long id;
    private final Device device;
    private final int latentDim;
    private final int ropeDim;
    private final Map<Integer, KvCache> layers = new HashMap<>();

    RankSequence(long id, Device device, int latentDim, int ropeDim) {
        this.id = id;
        this.device = device;
        this.latentDim = latentDim;
        this.ropeDim = ropeDim;
    }

    /** {@return the request id} */
    public long id() {
        return id;
    }

    /**
     * The KV cache of a layer on this rank, created empty on first use.
     *
     * @param layer zero-based layer index
     * @return the cache
     */
    public synchronized KvCache cache(int layer) {
        return layers.computeIfAbsent(layer, l -> new KvCache(device, latentDim, ropeDim));
    }

    /**
     * Cached tokens of {@code layer} (0 if the layer never ran).
     *
     * @param layer zero-based layer index
     * @return the number of cached tokens
     */
    public synchronized int length(int layer) {
        KvCache c = layers.get(layer);
        return c == null ? 0 : c.length();
    }

    /** Cached tokens per layer that has a cache, to {@link #restore} after a failed step. */
    synchronized Map<Integer, Integer> lengths() {
        Map<Integer, Integer> out = new HashMap<>();
        layers.forEach((l, c) -> out.put(l, c.length()));
        return out;
    }

    /** Returns every layer's cache to the lengths of {@code snapshot} (layers it lacks to empty). */
    synchronized void restore(Map<Integer, Integer> snapshot) {
        layers.forEach((l, c) -> c.truncate(snapshot.getOrDefault(l, 0)));
    }

    /** Room for {@code extra} more tokens in each of {@code layers} layers starting at {@code first}. */
    void reserve(dev.tandem.runtime.Kernels k, dev.tandem.runtime.Stream stream, int first, int end, int extra) {
        for (int l = first; l < end; l++) {
            cache(l).reserve(k, stream, extra);
        }
    }

    /** Device bytes that {@code extra} more tokens in layers {@code [first, end)} would add. */
    synchronized long growthBytes(int first, int end, int extra) {
        long total = 0;
        for (int l = first; l < end; l++) {
            KvCache c = layers.get(l);
            total += c == null ? KvCache.growthBytes(0, extra, latentDim + ropeDim) : c.growthBytes(extra);
        }
        return total;
    }

    /** Device bytes held by this sequence's caches. */
    synchronized long bytes() {
        long total = 0;
        for (KvCache c : layers.values()) {
            total += c.bytes();
        }
        return total;
    }

    @Override
    public synchronized void close() {
        for (KvCache c : layers.values()) {
            c.close();
        }
        layers.clear();
    }
}
