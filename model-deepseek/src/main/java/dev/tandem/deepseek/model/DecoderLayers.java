package dev.tandem.deepseek.model;

import dev.tandem.runtime.schedule.Stage;
import dev.tandem.runtime.schedule.StageProgram;

import java.util.ArrayList;
import java.util.List;

/**
 * The one definition of a DeepSeek decoder layer as stages of runtime-core's schedule framework
 * ({@link Stage}, {@link StageProgram}); every schedule ({@code Schedules.sequential}, {@code Schedules.overlapped}
 * for dual-batch overlap) is derived from it.
 *
 * <pre>
 * MoE layer, DP attention:  attention, gate, shared, dispatch-counts*, dispatch*, experts, combine, moe-output
 * dense layer, DP:          attention, mlp
 * TP attention:             attention, attn-allreduce, attn-residual, (FFN stages), tp-allgather
 * COMM stages: dispatch-counts, dispatch, combine, attn-allreduce, tp-allgather; * = blocks the host
 * </pre>
 * {@code shared} precedes the host-blocking routing so the device has work while the host waits for the router
 * scores; in an overlapped schedule the blocking stages are communication stages, issued after the other
 * micro-batch's compute.
 */
public final class DecoderLayers {
    private DecoderLayers() {
    }

    /**
     * The stages of one layer on one rank, named {@code L<layer>/<stage>}.
     *
     * @param rc the rank
     * @param w  the layer's device weights
     * @return the stages in issue order
     */
    public static List<Stage<DecoderMicroBatch>> layer(RankContext rc, DeviceLayer w) {
        List<BaseStage> s = new ArrayList<>();
        boolean tp = rc.mode() == AttentionMode.TP;
        String out = tp ? FfnStages.FFN_OUT : DecoderMicroBatch.HIDDEN;
        s.add(new AttentionStages.Attention(rc, w));
        if (tp) {
            s.add(new AttentionStages.AllReduce(rc, w));
            s.add(new AttentionStages.Residual(rc, w));
        }
        if (!w.moe) {
            s.add(new FfnStages.DenseMlp(rc, w, out));
        } else {
            s.add(new FfnStages.Gate(rc, w));
            if (rc.config().nSharedExperts() > 0) {
                s.add(new FfnStages.Shared(rc, w));
            }
            s.add(new FfnStages.DispatchCounts(rc, w));
            s.add(new FfnStages.Dispatch(rc, w));
            s.add(new FfnStages.Experts(rc, w));
            s.add(new FfnStages.Combine(rc, w));
            s.add(new FfnStages.MoeOutput(rc, w, out));
        }
        if (tp) {
            s.add(new AttentionStages.AllGather(rc, w));
        }
        s.get(s.size() - 1).markLastOfLayer();
        return List.copyOf(s);
    }

    /**
     * The program of a layer stack: each layer's stages one after the other.
     *
     * @param rc     the rank
     * @param layers the layers' device weights, in order
     * @return the program
     */
    public static StageProgram<DecoderMicroBatch> program(RankContext rc, List<DeviceLayer> layers) {
        List<Stage<DecoderMicroBatch>> all = new ArrayList<>();
        for (DeviceLayer l : layers) {
            all.addAll(layer(rc, l));
        }
        return new StageProgram<>(all);
    }
}
