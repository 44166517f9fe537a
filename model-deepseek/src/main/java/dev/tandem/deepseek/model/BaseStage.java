package dev.tandem.deepseek.model;

import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.schedule.Stage;
import dev.tandem.runtime.schedule.StageKind;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Common part of the decoder stages: the rank, the layer's device weights, and the declared dataflow. A stage is
 * named {@code L<layer>/<name>}; the values it reads and writes are {@code L<layer>/<value>} except the carried
 * {@code hidden}/{@code positions} and the shared KV cache {@code shared:kv/L<layer>}.
 */
abstract class BaseStage implements Stage<DecoderMicroBatch> {
    final RankContext rc;
    final DeviceLayer w;
    private final String shortName;
    private final StageKind kind;
    private final Set<String> reads;
    private final Set<String> writes;
    private final boolean blocksHost;
    private boolean lastOfLayer;

    BaseStage(RankContext rc, DeviceLayer w, String name, StageKind kind, List<String> reads, List<String> writes,
              boolean blocksHost) {
        this.rc = rc;
        this.w = w;
        this.shortName = name;
        this.kind = kind;
        this.reads = qualify(reads);
        this.writes = qualify(writes);
        this.blocksHost = blocksHost;
    }

    private Set<String> qualify(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            out.add(key(n));
        }
        return Set.copyOf(out);
    }

    /** The state key of a layer-local value (carried and shared names are kept as they are). */
    String key(String local) {
        if (local.equals(DecoderMicroBatch.HIDDEN) || local.equals(DecoderMicroBatch.POSITIONS)
                || local.startsWith(Stage.SHARED_PREFIX)) {
            return local;
        }
        return "L" + w.layer + "/" + local;
    }

    /** Marks this stage as its layer's last: after issuing it releases the layer's buffers. */
    void markLastOfLayer() {
        lastOfLayer = true;
    }

    /** The short name, e.g. {@code dispatch}. */
    String shortName() {
        return shortName;
    }

    @Override
    public final String name() {
        return "L" + w.layer + "/" + shortName;
    }

    @Override
    public final StageKind kind() {
        return kind;
    }

    @Override
    public final Set<String> reads() {
        return reads;
    }

    @Override
    public final Set<String> writes() {
        return writes;
    }

    @Override
    public final boolean blocksHost() {
        return blocksHost;
    }

    @Override
    public final void issue(DecoderMicroBatch mb, Stream stream) {
        run(mb, stream);
        if (lastOfLayer) {
            mb.endLayer(w.layer, stream);
        }
    }

    abstract void run(DecoderMicroBatch mb, Stream s);

    float eps() {
        return (float) rc.config().rmsNormEps();
    }

    Tensor in(DecoderMicroBatch mb, String local) {
        return mb.tensor(key(local));
    }

    <T> T in(DecoderMicroBatch mb, String local, Class<T> type) {
        return mb.get(key(local), type);
    }

    /** Stores a result; the carried hidden state goes through {@link DecoderMicroBatch#putCarried}. */
    void out(DecoderMicroBatch mb, String local, Object value) {
        if (local.equals(DecoderMicroBatch.HIDDEN)) {
            mb.putCarried(local, (Tensor) value);
        } else {
            mb.put(key(local), value);
        }
    }

    @Override
    public String toString() {
        return name() + "(" + kind + (blocksHost ? ", blocks host" : "") + ") reads " + reads + " writes " + writes;
    }
}
