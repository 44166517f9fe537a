package dev.tandem.deepseek.model;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.spi.Closer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one micro-batch on one rank: its request chunks, and the named values its stages write and read
 * (tensors, host-side plans, events), with the device buffers they own. Two micro-batches share nothing but the
 * requests' KV caches, so two can be in flight at once on one rank.
 *
 * <p>Values are named {@code L<layer>/<name>} except the carried {@link #HIDDEN} and {@link #POSITIONS}. Buffers
 * allocated for a layer are released by {@link #endLayer(int, Stream)}, which the last stage of each layer calls
 * once it has issued its work; the carried hidden state survives until {@link #close()}.
 *
 * <p>{@code ffnStart..ffnEnd} are the rows whose FFN this rank computes: all rows under data-parallel attention;
 * a contiguous slice of {@code ffnRowsPerRank} rows under tensor-parallel attention, where the layer ends with an
 * all-gather.
 */
public final class DecoderMicroBatch implements AutoCloseable {
    /** The layer input/output {@code [tokens, hidden]}, carried from layer to layer. */
    public static final String HIDDEN = "hidden";
    /** Rope positions {@code [tokens]} (I32). */
    public static final String POSITIONS = "positions";

    private final int index;
    private final List<Chunk> chunks;
    private final int tokens;
    private final int ffnStart;
    private final int ffnEnd;
    private final int ffnRowsPerRank;
    private final Map<String, Object> state = new HashMap<>();
    private final List<DeviceBuffer> layerBuffers = new ArrayList<>();
    private final List<AutoCloseable> layerResources = new ArrayList<>();
    private final Map<String, DeviceBuffer> carried = new HashMap<>();

    /**
     * Creates a micro-batch over its request chunks.
     *
     * @param index          the micro-batch's index in the step
     * @param chunks         the request chunks, tiling rows {@code [0, tokens)} in order
     * @param ffnStart       first row whose FFN this rank computes
     * @param ffnEnd         end (exclusive) of the rows whose FFN this rank computes
     * @param ffnRowsPerRank rows per rank of the TP token split (the total under DP)
     * @throws IllegalArgumentException if the chunks do not tile the rows in order
     */
    public DecoderMicroBatch(int index, List<Chunk> chunks, int ffnStart, int ffnEnd, int ffnRowsPerRank) {
        this.index = index;
        this.chunks = List.copyOf(chunks);
        int t = 0;
        for (Chunk c : chunks) {
            if (c.start() != t) {
                throw new IllegalArgumentException("chunks must tile the micro-batch rows in order");
            }
            t += c.length();
        }
        this.tokens = t;
        this.ffnStart = ffnStart;
        this.ffnEnd = ffnEnd;
        this.ffnRowsPerRank = ffnRowsPerRank;
    }

    /** {@return the micro-batch's index in the step} */
    public int index() {
        return index;
    }

    /** {@return the request chunks, in row order} */
    public List<Chunk> chunks() {
        return chunks;
    }

    /** {@return the number of token rows} */
    public int tokens() {
        return tokens;
    }

    /** {@return the first row whose FFN this rank computes} */
    public int ffnStart() {
        return ffnStart;
    }

    /** {@return the end (exclusive) of the rows whose FFN this rank computes} */
    public int ffnEnd() {
        return ffnEnd;
    }

    /** {@return the number of rows whose FFN this rank computes} */
    public int ffnTokens() {
        return ffnEnd - ffnStart;
    }

    /** {@return rows per rank of the TP token split} */
    public int ffnRowsPerRank() {
        return ffnRowsPerRank;
    }

    // ---- named state ----

    /**
     * Stores a named value, replacing any earlier one.
     *
     * @param name  the value's name
     * @param value the value
     */
    public void put(String name, Object value) {
        state.put(name, value);
    }

    /**
     * Whether a named value is stored.
     *
     * @param name a value name
     * @return whether a value of that name is stored
     */
    public boolean has(String name) {
        return state.containsKey(name);
    }

    /**
     * A named value.
     *
     * @param <T>  the value's type
     * @param name the value's name
     * @param type the value's class
     * @return the value
     * @throws IllegalStateException if no value of that name is stored
     * @throws ClassCastException if the value is not a {@code type}
     */
    public <T> T get(String name, Class<T> type) {
        Object v = state.get(name);
        if (v == null) {
            throw new IllegalStateException("micro-batch " + index + " has no value '" + name + "'");
        }
        return type.cast(v);
    }

    /**
     * A named tensor value.
     *
     * @param name the value's name
     * @return the tensor
     * @throws IllegalStateException if no value of that name is stored
     */
    public Tensor tensor(String name) {
        return get(name, Tensor.class);
    }

    /**
     * Registers a buffer owned by the current layer. Returns the tensor.
     *
     * @param t the tensor
     * @return {@code t}
     */
    public Tensor layerOwned(Tensor t) {
        layerBuffers.add(t.buffer());
        return t;
    }

    /**
     * Frees a layer-owned temporary before the layer ends, once its last use has been enqueued: the free is
     * stream-ordered (it waits for every use already issued), so the MoE's row-sized buffers do not all stay alive
     * until the layer's end. Tensors not owned by the current layer are left alone.
     * @param t the tensor whose buffer to free
     */
    public void release(Tensor t) {
        DeviceBuffer b = t.buffer();
        if (layerBuffers.remove(b)) {
            b.close();
        }
    }

    /**
     * Registers another resource (e.g. an event) released with the current layer. Returns it.
     *
     * @param <T>      the resource type
     * @param resource the resource
     * @return {@code resource}
     */
    public <T extends AutoCloseable> T layerOwned(T resource) {
        layerResources.add(resource);
        return resource;
    }

    /**
     * Stores a carried tensor (hidden, positions); the previous one under that name is released with the layer.
     *
     * @param name {@link #HIDDEN} or {@link #POSITIONS}
     * @param t    the tensor
     * @throws IllegalArgumentException if {@code name} is not a carried value
     */
    public void putCarried(String name, Tensor t) {
        if (!name.equals(HIDDEN) && !name.equals(POSITIONS)) {
            throw new IllegalArgumentException(name + " is not a carried value");
        }
        layerBuffers.remove(t.buffer());
        DeviceBuffer old = carried.put(name, t.buffer());
        if (old != null && old != t.buffer()) {
            layerBuffers.add(old);
        }
        state.put(name, t);
    }

    /**
     * Forgets layer {@code layer}'s values and releases its buffers and events in a host callback on
     * {@code after}, once that stream has run everything enqueued so far (the caller is the layer's last stage,
     * which every other stage of the layer precedes). Frees are stream-ordered anyway; the callback also keeps
     * them after collectives that touched the buffers.
     * @param layer zero-based layer index
     * @param after the stream the release waits for
     */
    public void endLayer(int layer, Stream after) {
        String prefix = "L" + layer + "/";
        state.keySet().removeIf(k -> k.startsWith(prefix));
        List<AutoCloseable> release = new ArrayList<>();
        for (DeviceBuffer b : layerBuffers) {
            if (!carried.containsValue(b)) {
                release.add(b);
            }
        }
        release.addAll(layerResources);
        layerBuffers.clear();
        layerResources.clear();
        if (!release.isEmpty()) {
            after.hostCallback(() -> Closer.closeAll(release));
        }
    }

    /** Releases everything now (call after the streams are synchronized, or after a failure). */
    @Override
    public void close() {
        List<AutoCloseable> release = new ArrayList<>(layerBuffers);
        release.addAll(layerResources);
        for (DeviceBuffer b : carried.values()) {
            if (!release.contains(b)) {
                release.add(b);
            }
        }
        layerBuffers.clear();
        layerResources.clear();
        carried.clear();
        state.clear();
        try {
            Closer.closeAll(release);
        } catch (RuntimeException ignored) {
            // best effort: a failed stream already reported the cause
        }
    }

    @Override
    public String toString() {
        return "mb" + index + "[" + tokens + " tokens, " + chunks.size() + " chunks]";
    }
}
