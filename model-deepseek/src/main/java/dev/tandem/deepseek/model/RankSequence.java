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

    public long id() {
        return id;
    }

    public synchronized KvCache cache(int layer) {
        return layers.computeIfAbsent(layer, l -> new KvCache(device, latentDim, ropeDim));
    }

    /** Cached tokens of {@code layer} (0 if the layer never ran). */
    public synchronized int length(int layer) {
        KvCache c = layers.get(layer);
        return c == null ? 0 : c.length();
    }

    @Override
    public synchronized void close() {
        for (KvCache c : layers.values()) {
            c.close();
        }
        layers.clear();
    }
}
