package dev.tandem.deepseek.model;

import dev.tandem.deepseek.schedule.LayerProgram;
import dev.tandem.deepseek.schedule.Stage;

import java.util.ArrayList;
import java.util.List;

/**
 * The one definition of a DeepSeek decoder layer as stages. Every schedule (sequential, stream-per-kind, a
 * future dual-batch overlap) runs these programs.
 *
 * <pre>
 * DP attention, MoE layer:  attention, gate, shared, route*, dispatch-counts, dispatch*, experts, combine, moe-output
 * DP attention, dense:      attention, mlp
 * TP attention adds:        attention -> attn-allreduce -> attn-residual ... -> tp-allgather (last)
 * (* = host-wait; shared is placed before route so the device has work while the host waits for the scores)
 * </pre>
 */
public final class DecoderLayers {
    private DecoderLayers() {
    }

    public static LayerProgram program(RankContext rc, DeviceLayer w) {
        List<Stage> s = new ArrayList<>();
        boolean tp = rc.mode() == AttentionMode.TP;
        String out = tp ? FfnStages.FFN_OUT : LayerProgram.HIDDEN;
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
            s.add(new FfnStages.Route(rc, w));
            s.add(new FfnStages.DispatchCounts(rc, w));
            s.add(new FfnStages.Dispatch(rc, w));
            s.add(new FfnStages.Experts(rc, w));
            s.add(new FfnStages.Combine(rc, w));
            s.add(new FfnStages.MoeOutput(rc, w, out));
        }
        if (tp) {
            s.add(new AttentionStages.AllGather(rc, w));
        }
        return new LayerProgram(w.layer, s);
    }
}
