package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.config.TopkMethod;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.schedule.StageKind;

import java.util.Arrays;
import java.util.List;

/**
 * The feed-forward half of a layer: the dense SwiGLU MLP, or the MoE as gate, shared expert, host routing,
 * count exchange, dispatch (all-to-all-v), grouped local experts, combine (all-to-all-v back) and the weighted
 * sum. All read {@code h} (the post-attention residual rows this rank's FFN covers) and end by writing
 * {@code out} = h + FFN(RMSNorm(h)).
 */
final class FfnStages {
    static final String FFN_OUT = "ffn_out";
    static final String FFN_IN = "ffn_in";
    static final String SCORES = "router_scores";
    static final String ROUTE = "route";
    static final String SEND_ROWS = "send_rows";
    static final String ALL_HIST = "expert_counts";
    static final String RECV_ROWS = "recv_rows";
    static final String A2A = "a2a_plan";
    static final String EXPERT_OUT = "expert_out";
    static final String COMBINED = "combined_rows";
    static final String SHARED_OUT = "shared_out";

    private FfnStages() {
    }

    /** SwiGLU MLP with fused gate/up weight {@code [2I, d]}: {@code down(silu(x Wg^T) * (x Wu^T))} into {@code y}. */
    static void swigluMlp(RankContext rc, DecoderMicroBatch mb, Stream s, Tensor x, Tensor gateUp, Tensor down, Tensor y) {
        Kernels k = rc.kernels();
        int rows = x.size(0);
        int inter = down.size(1);
        Tensor gu = rc.temp(mb, s, rows, 2L * inter);
        k.linear(s, x, gateUp, gu);
        Tensor act = rc.temp(mb, s, rows, inter);
        k.swiglu(s, gu, -1, act); // first half (gate rows of gateUp) gates the second (up)
        k.linear(s, act, down, y);
        mb.release(gu);
        mb.release(act);
    }

    /** Dense layers: {@code out = h + MLP(RMSNorm_post(h))}. */
    static final class DenseMlp extends BaseStage {
        private final String out;

        DenseMlp(RankContext rc, DeviceLayer w, String out) {
            super(rc, w, "mlp", StageKind.COMPUTE, List.of(AttentionStages.H), List.of(out), false);
            this.out = out;
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            Tensor h = in(mb, AttentionStages.H);
            int m = h.size(0);
            int d = rc.config().hiddenSize();
            Tensor result = rc.temp(mb, s, m, d);
            if (m > 0) {
                Tensor hn = rc.temp(mb, s, m, d);
                rc.kernels().rmsNorm(s, h, w.postNorm, eps(), hn);
                Tensor y = rc.temp(mb, s, m, d);
                swigluMlp(rc, mb, s, hn, w.mlpGateUp, w.mlpDown, y);
                rc.kernels().add(s, h, y, result);
            }
            out(mb, out, result);
        }
    }

    /**
     * Post-attention norm, router logits and the expert selection, all on the device ({@link Kernels#moeGatingTopK}):
     * the routing stays in device memory.
     */
    static final class Gate extends BaseStage {
        Gate(RankContext rc, DeviceLayer w) {
            super(rc, w, "gate", StageKind.COMPUTE, List.of(AttentionStages.H), List.of(FFN_IN, SCORES), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            DeepSeekConfig c = rc.config();
            Kernels k = rc.kernels();
            Tensor h = in(mb, AttentionStages.H);
            int m = h.size(0);
            int e = c.nRoutedExperts();
            int topk = c.numExpertsPerTok();
            Tensor hn = rc.temp(mb, s, m, c.hiddenSize());
            Tensor tw = rc.temp(mb, s, m, topk);
            Tensor ti = rc.tempOf(mb, s, DType.I32, m, topk);
            if (m > 0) {
                k.rmsNorm(s, h, w.postNorm, eps(), hn);
                Tensor logits = rc.temp(mb, s, m, e);
                k.linear(s, hn, w.router, logits);
                Tensor bias = c.topkMethod() == TopkMethod.NOAUX_TC ? rc.upload(mb, s, w.routerBias, e) : null;
                k.moeGatingTopK(s, logits, bias, Router.gating(c), tw, ti);
            }
            out(mb, FFN_IN, hn);
            out(mb, SCORES, new PendingScores(ti, tw, m));
        }
    }

    /** The device's expert selection: {@code [tokens, k]} expert ids and weights (ordered by the stage graph). */
    record PendingScores(Tensor experts, Tensor weights, int tokens) {
    }

    /** The device-side dispatch order of this rank's (token, slot) rows and their combine weights. */
    record RoutePlan(Tensor histogramDevice, Tensor combineIndex, Tensor weights) {
    }

    /** Shared experts: an unweighted SwiGLU MLP of intermediate {@code n_shared * I} on the normed rows. */
    static final class Shared extends BaseStage {
        Shared(RankContext rc, DeviceLayer w) {
            super(rc, w, "shared", StageKind.COMPUTE, List.of(FFN_IN), List.of(SHARED_OUT), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            Tensor hn = in(mb, FFN_IN);
            int m = hn.size(0);
            Tensor y = rc.temp(mb, s, m, rc.config().hiddenSize());
            if (m > 0) {
                swigluMlp(rc, mb, s, hn, w.sharedGateUp, w.sharedDown, y);
            }
            out(mb, SHARED_OUT, y);
        }
    }

    record Counts(int[] all, Event ready, long routingCall) {
    }

    /**
     * The dispatch order and the count exchange, on the device (after the gate, by the stage graph): sorts the
     * (token, slot) pairs by expert ({@link Kernels#moeDispatch}, stable in token order, so the rows for each rank are
     * contiguous) into the rows to send with their combine index, then issues the all-gather of the per-expert counts
     * and their download, the only routing data that reaches the host. It does not wait for the counts:
     * {@link Dispatch} does.
     */
    static final class DispatchCounts extends BaseStage {
        DispatchCounts(RankContext rc, DeviceLayer w) {
            super(rc, w, "dispatch-counts", StageKind.COMM, List.of(SCORES, FFN_IN), List.of(ROUTE, SEND_ROWS, ALL_HIST), true);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            DeepSeekConfig c = rc.config();
            PendingScores pending = in(mb, SCORES, PendingScores.class);
            int m = pending.tokens();
            int e = c.nRoutedExperts();
            int k = c.numExpertsPerTok();
            int n = m * k;
            Tensor hn = in(mb, FFN_IN);
            Tensor send = rc.temp(mb, s, n, c.hiddenSize());
            Tensor combineIndex = rc.tempOf(mb, s, DType.I32, n);
            Tensor histDev = rc.tempOf(mb, s, DType.I32, e);
            // Also with no tokens: every rank's counts take part in the all-gather.
            long routingCall = rc.nextRoutingCall();
            rc.kernels().moeDispatch(s, hn, pending.experts(), e, send, combineIndex, histDev);
            Tensor weights = pending.weights().view(m, 1, k);
            out(mb, ROUTE, new RoutePlan(histDev, combineIndex, weights));
            out(mb, SEND_ROWS, send);
            Tensor all = rc.tempOf(mb, s, DType.I32, (long) e * rc.size());
            rc.communicator().allGather(s, histDev, all);
            int[] host = new int[e * rc.size()];
            s.download(all, host);
            out(mb, ALL_HIST, new Counts(host, mb.layerOwned(s.record()), routingCall));
        }
    }

    /** Splits (in rows) of both all-to-all-v exchanges and the local regrouping, all derived from the counts. */
    record A2aPlan(long[] sendRows, long[] sendOffsets, long[] recvRows, long[] recvOffsets, int[] all, int sent,
                   int received) {
    }

    /** Host-visible step: waits for the counts, then all-to-all-v of the routed rows to the experts' ranks. */
    static final class Dispatch extends BaseStage {
        Dispatch(RankContext rc, DeviceLayer w) {
            super(rc, w, "dispatch", StageKind.COMM, List.of(ALL_HIST, SEND_ROWS), List.of(RECV_ROWS, A2A), true);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            Counts counts = in(mb, ALL_HIST, Counts.class);
            counts.ready().synchronize();
            int p = rc.size();
            int e = rc.config().nRoutedExperts();
            int per = rc.expertsPerRank();
            int me = rc.rank();
            int d = rc.config().hiddenSize();
            int[] all = counts.all();
            tellExpertLoad(this, mb, counts, all, me * e, e);
            long[] sendRows = new long[p];
            long[] recvRows = new long[p];
            for (int q = 0; q < p; q++) {
                for (int x = q * per; x < (q + 1) * per; x++) {
                    sendRows[q] += all[me * e + x];
                }
                for (int x = me * per; x < (me + 1) * per; x++) {
                    recvRows[q] += all[q * e + x];
                }
            }
            long[] sendOff = offsets(sendRows);
            long[] recvOff = offsets(recvRows);
            int sent = (int) (sendOff[p - 1] + sendRows[p - 1]);
            int received = (int) (recvOff[p - 1] + recvRows[p - 1]);
            Tensor send = in(mb, SEND_ROWS);
            Tensor recv = rc.temp(mb, s, received, d);
            rc.communicator().allToAllV(s, send, times(sendRows, d), times(sendOff, d), recv, times(recvRows, d),
                    times(recvOff, d));
            mb.release(send);
            out(mb, RECV_ROWS, recv);
            out(mb, A2A, new A2aPlan(sendRows, sendOff, recvRows, recvOff, all, sent, received));
        }
    }

    static long[] offsets(long[] counts) {
        long[] off = new long[counts.length];
        for (int i = 1; i < counts.length; i++) {
            off[i] = off[i - 1] + counts[i - 1];
        }
        return off;
    }

    static long[] times(long[] v, long f) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * f;
        }
        return out;
    }

    /**
     * The local experts as one grouped computation: received rows (ordered by source rank, then expert) are
     * regrouped expert-major, each expert runs its SwiGLU on its contiguous block, and the results are put back in
     * arrival order for the combine.
     */
    static final class Experts extends BaseStage {
        Experts(RankContext rc, DeviceLayer w) {
            super(rc, w, "experts", StageKind.COMPUTE, List.of(RECV_ROWS, A2A), List.of(EXPERT_OUT), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            A2aPlan plan = in(mb, A2A, A2aPlan.class);
            Tensor recv = in(mb, RECV_ROWS);
            int p = rc.size();
            int e = rc.config().nRoutedExperts();
            int per = rc.expertsPerRank();
            int e0 = rc.expertStart();
            int n = plan.received();
            Tensor out = rc.temp(mb, s, n, rc.config().hiddenSize());
            if (n == 0) {
                out(mb, EXPERT_OUT, out);
                return;
            }
            int[] regroup = new int[n];
            int[] inverse = new int[n];
            int[] groupSize = new int[per];
            int g = 0;
            for (int le = 0; le < per; le++) {
                for (int q = 0; q < p; q++) {
                    int base = (int) plan.recvOffsets()[q];
                    for (int x = 0; x < le; x++) {
                        base += plan.all()[q * e + e0 + x];
                    }
                    int cnt = plan.all()[q * e + e0 + le];
                    for (int i = 0; i < cnt; i++) {
                        regroup[g] = base + i;
                        inverse[base + i] = g;
                        g++;
                    }
                    groupSize[le] += cnt;
                }
            }
            Kernels k = rc.kernels();
            Tensor grouped = rc.temp(mb, s, n, rc.config().hiddenSize());
            k.indexSelect(s, recv, rc.upload(mb, s, regroup), grouped);
            mb.release(recv);
            Tensor y = rc.temp(mb, s, n, rc.config().hiddenSize());
            int off = 0;
            for (int le = 0; le < per; le++) {
                int cnt = groupSize[le];
                if (cnt > 0) {
                    swigluMlp(rc, mb, s, grouped.slice(0, off, off + cnt), w.expertGateUp[le], w.expertDown[le],
                            y.slice(0, off, off + cnt));
                }
                off += cnt;
            }
            mb.release(grouped);
            k.indexSelect(s, y, rc.upload(mb, s, inverse), out);
            mb.release(y);
            out(mb, EXPERT_OUT, out);
        }
    }

    private static final System.Logger LOG = System.getLogger(FfnStages.class.getName());

    /** Tells the rank's expert-load listener, if any, where this micro-batch's tokens went; never fails the step. */
    private static void tellExpertLoad(BaseStage stage, DecoderMicroBatch mb, Counts counts, int[] all, int from,
                                       int experts) {
        ExpertLoadListener listener = stage.rc.expertLoadListener();
        if (listener == null) {
            return;
        }
        try {
            listener.routed(stage.rc.rank(), stage.w.layer, mb.index(), counts.routingCall(),
                    Arrays.copyOfRange(all, from, from + experts));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "expert-load listener failed; the forward goes on", e);
        }
    }

    /** All-to-all-v of the expert outputs back to the tokens' ranks (splits swapped). */
    static final class Combine extends BaseStage {
        Combine(RankContext rc, DeviceLayer w) {
            super(rc, w, "combine", StageKind.COMM, List.of(EXPERT_OUT, A2A), List.of(COMBINED), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            A2aPlan plan = in(mb, A2A, A2aPlan.class);
            int d = rc.config().hiddenSize();
            Tensor back = rc.temp(mb, s, plan.sent(), d);
            Tensor expertOut = in(mb, EXPERT_OUT);
            rc.communicator().allToAllV(s, expertOut, times(plan.recvRows(), d), times(plan.recvOffsets(), d),
                    back, times(plan.sendRows(), d), times(plan.sendOffsets(), d));
            mb.release(expertOut);
            out(mb, COMBINED, back);
        }
    }

    /**
     * {@code out = h + (sum_j w_j y_j + shared)}: each token's k expert outputs gathered in ascending expert order
     * and summed by one batched {@code [1,k] x [k,d]} product (fixed order, independent of the rank count).
     */
    static final class MoeOutput extends BaseStage {
        private final String out;
        private final boolean shared;

        MoeOutput(RankContext rc, DeviceLayer w, String out) {
            super(rc, w, "moe-output", StageKind.COMPUTE,
                    rc.config().nSharedExperts() > 0 ? List.of(AttentionStages.H, ROUTE, COMBINED, SHARED_OUT)
                            : List.of(AttentionStages.H, ROUTE, COMBINED), List.of(out), false);
            this.out = out;
            this.shared = rc.config().nSharedExperts() > 0;
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            Tensor h = in(mb, AttentionStages.H);
            RoutePlan plan = in(mb, ROUTE, RoutePlan.class);
            int m = h.size(0);
            int d = rc.config().hiddenSize();
            int k = rc.config().numExpertsPerTok();
            Tensor result = rc.temp(mb, s, m, d);
            if (m > 0) {
                Kernels ker = rc.kernels();
                Tensor gathered = rc.temp(mb, s, (long) m * k, d);
                ker.indexSelect(s, in(mb, COMBINED), plan.combineIndex(), gathered);
                mb.release(in(mb, COMBINED));
                Tensor routed = rc.temp(mb, s, m, 1, d);
                ker.matmul(s, plan.weights(), gathered.view(m, k, d), routed);
                mb.release(gathered);
                Tensor moe = routed.view(m, d);
                if (shared) {
                    ker.add(s, moe, in(mb, SHARED_OUT), moe);
                }
                ker.add(s, h, moe, result);
            }
            out(mb, out, result);
        }
    }
}
