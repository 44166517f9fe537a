package dev.tandem.deepseek.schedule;

import dev.tandem.runtime.Event;
import dev.tandem.runtime.Stream;

import java.util.List;

/**
 * The sequential order, but COMM stages run on the comm stream and COMPUTE stages on the compute stream, ordered
 * only by events between a stage and its dataflow predecessors ({@link LayerProgram#predecessors(int)}) when those
 * ran on the other stream. It overlaps nothing by itself; it proves that the stages are stream-agnostic and is the
 * skeleton of a dual-batch-overlap scheduler (which would also interleave two micro-batches' stage lists).
 */
public final class StreamPerKindScheduler implements Scheduler {
    @Override
    public void run(List<LayerProgram> layers, List<? extends MicroBatch> microBatches, Stream compute, Stream comm) {
        for (LayerProgram layer : layers) {
            for (MicroBatch mb : microBatches) {
                List<Stage> stages = layer.stages();
                Stream[] ranOn = new Stream[stages.size()];
                Event[] done = new Event[stages.size()];
                for (int i = 0; i < stages.size(); i++) {
                    Stage s = stages.get(i);
                    Stream target = s.kind() == StageKind.COMM ? comm : compute;
                    List<Integer> preds = layer.predecessors(i);
                    boolean readsCarried = s.reads().stream().anyMatch(MicroBatch.CARRIED::contains);
                    if (readsCarried && target != compute) {
                        target.waitStream(compute); // carried state was last written on compute
                    }
                    for (int p : preds) {
                        if (ranOn[p] != target) {
                            target.waitEvent(done[p]);
                        }
                    }
                    Scheduler.issueTagged(s, mb, layer.layer(), target);
                    ranOn[i] = target;
                    done[i] = mb.layerOwned(target.record()); // released with the layer's buffers
                }
                // The layer's buffers may be used on both streams; make compute (which frees them) wait for comm.
                Stream last = ranOn[stages.size() - 1];
                if (last != compute) {
                    compute.waitStream(last);
                }
            }
            for (MicroBatch mb : microBatches) {
                mb.endLayer(compute);
            }
        }
        compute.waitStream(comm);
    }
}
