package dev.tandem.deepseek.schedule;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The state of one micro-batch on one rank: named values written and read by stages, and the device buffers
 * they own. Two micro-batches share nothing, so two may be in flight at once on one rank. Buffers allocated for a
 * layer are freed (stream-ordered, so never while in use) when the scheduler ends the layer; the carried state
 * ({@link #CARRIED}) survives until {@link #close()}.
 */
public class MicroBatch implements AutoCloseable {
    /** Names carried from one layer to the next. */
    public static final Set<String> CARRIED = Set.of(LayerProgram.HIDDEN, "positions");

    private final int index;
    private final Map<String, Object> state = new HashMap<>();
    private final List<DeviceBuffer> layerBuffers = new ArrayList<>();
    private final List<AutoCloseable> layerResources = new ArrayList<>();
    private final Map<String, DeviceBuffer> carriedBuffers = new HashMap<>();

    public MicroBatch(int index) {
        this.index = index;
    }

    /** Index used in trace tags ({@code mb0}, {@code mb1}). */
    public int index() {
        return index;
    }

    public void put(String name, Object value) {
        state.put(name, value);
    }

    public boolean has(String name) {
        return state.containsKey(name);
    }

    public <T> T get(String name, Class<T> type) {
        Object v = state.get(name);
        if (v == null) {
            throw new IllegalStateException("micro-batch " + index + " has no state '" + name + "'");
        }
        return type.cast(v);
    }

    public Tensor tensor(String name) {
        return get(name, Tensor.class);
    }

    /** Registers a buffer owned by the current layer; freed by {@link #endLayer()}. Returns the tensor. */
    public Tensor layerOwned(Tensor t) {
        layerBuffers.add(t.buffer());
        return t;
    }

    /** Registers another resource (e.g. an event) to close when the layer ends. Returns it. */
    public <T extends AutoCloseable> T layerOwned(T resource) {
        layerResources.add(resource);
        return resource;
    }

    /**
     * Stores a carried tensor (e.g. the layer output {@code hidden}); its buffer outlives the layer and the
     * previous carried buffer under that name is freed.
     */
    public void putCarried(String name, Tensor t) {
        if (!CARRIED.contains(name)) {
            throw new IllegalArgumentException(name + " is not a carried state name");
        }
        layerBuffers.remove(t.buffer());
        DeviceBuffer old = carriedBuffers.put(name, t.buffer());
        if (old != null && old != t.buffer()) {
            layerBuffers.add(old);
        }
        state.put(name, t);
    }

    /** Drops the layer's state (except carried names) and frees its buffers now (stream-ordered frees). */
    public void endLayer() {
        endLayer(null);
    }

    /**
     * Drops the layer's state (except carried names) and releases its buffers and events. With {@code after}
     * non-null the release happens in a host callback once {@code after} has run everything enqueued so far (the
     * scheduler passes the stream that last touched the layer's work); with null it happens now, relying on
     * stream-ordered frees.
     */
    public void endLayer(dev.tandem.runtime.Stream after) {
        state.keySet().removeIf(k -> !CARRIED.contains(k));
        List<AutoCloseable> release = new ArrayList<>();
        for (DeviceBuffer b : layerBuffers) {
            if (!carriedBuffers.containsValue(b)) {
                release.add(b);
            }
        }
        release.addAll(layerResources);
        layerBuffers.clear();
        layerResources.clear();
        if (after == null) {
            closeAll(release);
        } else if (!release.isEmpty()) {
            after.hostCallback(() -> closeAll(release));
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        RuntimeException failure = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("releasing " + r + " failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        endLayer();
        for (DeviceBuffer b : carriedBuffers.values()) {
            b.close();
        }
        carriedBuffers.clear();
        state.clear();
    }

    /** Closes every buffer once; used when a layer fails midway. */
    public void closeQuietly() {
        try {
            close();
        } catch (RuntimeException ignored) {
            // best effort after an earlier failure
        }
    }

    @Override
    public String toString() {
        return "mb" + index + Objects.toString(state.keySet());
    }
}
