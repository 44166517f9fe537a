package dev.tandem.deepseek.schedule;

import dev.tandem.runtime.Stream;

import java.util.List;

/** Runs layer programs over micro-batches on one rank. */
public interface Scheduler {

    /**
     * Issues every stage of every layer for every micro-batch. {@code comm} may be the same stream as
     * {@code compute}; schedulers that do not overlap ignore it.
     */
    void run(List<LayerProgram> layers, List<? extends MicroBatch> microBatches, Stream compute, Stream comm);

    /** The trace tag of a stage: {@code mb0/L3/dispatch}. */
    static String tag(MicroBatch mb, int layer, Stage stage) {
        return "mb" + mb.index() + "/L" + layer + "/" + stage.name();
    }

    /** Issues {@code stage} under its trace tag, restoring the stream's previous tag afterwards. */
    static void issueTagged(Stage stage, MicroBatch mb, int layer, Stream stream) {
        String previous = stream.traceTag(tag(mb, layer, stage));
        try {
            stage.issue(mb, stream);
        } finally {
            stream.traceTag(previous);
        }
    }
}
