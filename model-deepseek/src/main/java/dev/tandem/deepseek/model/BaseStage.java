package dev.tandem.deepseek.model;

import dev.tandem.deepseek.schedule.MicroBatch;
import dev.tandem.deepseek.schedule.Stage;
import dev.tandem.deepseek.schedule.StageKind;
import dev.tandem.runtime.Stream;

import java.util.List;

/** Common fields of the decoder stages: the rank, the layer's device weights, and the declared dataflow. */
abstract class BaseStage implements Stage {
    final RankContext rc;
    final DeviceLayer w;
    private final String name;
    private final StageKind kind;
    private final List<String> reads;
    private final List<String> writes;
    private final boolean hostWait;

    BaseStage(RankContext rc, DeviceLayer w, String name, StageKind kind, List<String> reads, List<String> writes,
              boolean hostWait) {
        this.rc = rc;
        this.w = w;
        this.name = name;
        this.kind = kind;
        this.reads = List.copyOf(reads);
        this.writes = List.copyOf(writes);
        this.hostWait = hostWait;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final StageKind kind() {
        return kind;
    }

    @Override
    public final List<String> reads() {
        return reads;
    }

    @Override
    public final List<String> writes() {
        return writes;
    }

    @Override
    public final boolean hostWait() {
        return hostWait;
    }

    @Override
    public final void issue(MicroBatch mb, Stream stream) {
        run((DecoderMicroBatch) mb, stream);
    }

    abstract void run(DecoderMicroBatch mb, Stream s);

    float eps() {
        return (float) rc.config().rmsNormEps();
    }

    /** Stores a result under {@code name}: carried names go through {@link MicroBatch#putCarried}. */
    static void output(DecoderMicroBatch mb, String name, dev.tandem.runtime.Tensor t) {
        if (MicroBatch.CARRIED.contains(name)) {
            mb.putCarried(name, t);
        } else {
            mb.put(name, t);
        }
    }

    @Override
    public String toString() {
        return name + "(" + kind + (hostWait ? ", host-wait" : "") + ") reads " + reads + " writes " + writes;
    }
}
