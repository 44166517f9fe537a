package dev.tandem.deepseek.schedule;

import dev.tandem.runtime.Stream;

import java.util.List;

/**
 * The baseline schedule, derived from the layer programs: for each layer, for each micro-batch, every stage in
 * order, all on one stream. Each stage is issued under the trace tag {@code mb<i>/L<layer>/<stage>}.
 */
public final class SequentialScheduler implements Scheduler {
    @Override
    public void run(List<LayerProgram> layers, List<? extends MicroBatch> microBatches, Stream compute, Stream comm) {
        for (LayerProgram layer : layers) {
            for (MicroBatch mb : microBatches) {
                for (Stage stage : layer.stages()) {
                    Scheduler.issueTagged(stage, mb, layer.layer(), compute);
                }
            }
            for (MicroBatch mb : microBatches) {
                mb.endLayer(compute);
            }
        }
    }
}
