package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.schedule.StageKind;

import java.util.List;

/** MLA attention and, under tensor-parallel attention, its all-reduce and residual. */
final class AttentionStages {
    static final String H = "h";
    static final String ATTN_PARTIAL = "attn_partial";

    private AttentionStages() {
    }

    /** The shared value standing for layer {@code w}'s KV caches (orders attention across micro-batches). */
    static String kvName(DeviceLayer w) {
        return dev.tandem.runtime.schedule.Stage.SHARED_PREFIX + "kv/L" + w.layer;
    }

    /**
     * RMSNorm, MLA over each chunk's cached plus new tokens (naive or weight-absorbed form per {@link MlaMode}), o_proj. Under DP it
     * also adds the residual and writes {@code h}; under TP it writes the rank's partial o_proj output.
     */
    static final class Attention extends BaseStage {
        Attention(RankContext rc, DeviceLayer w) {
            super(rc, w, "attention", StageKind.COMPUTE, List.of(DecoderMicroBatch.HIDDEN, DecoderMicroBatch.POSITIONS,
                    kvName(w)), List.of(rc.mode() == AttentionMode.DP ? H : ATTN_PARTIAL, kvName(w)), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            DeepSeekConfig c = rc.config();
            Kernels k = rc.kernels();
            int t = mb.tokens();
            int d = c.hiddenSize();
            int hl = rc.localHeads();
            int dn = c.qkNopeHeadDim();
            int dr = c.qkRopeHeadDim();
            int dv = c.vHeadDim();
            int dqk = c.qkHeadDim();
            int rkv = c.kvLoraRank();
            Tensor x = mb.tensor(DecoderMicroBatch.HIDDEN);
            Tensor out = rc.temp(mb, s, t, d);
            if (t > 0) {
                Tensor pos = mb.tensor(DecoderMicroBatch.POSITIONS);
                Tensor xn = rc.temp(mb, s, t, d);
                k.rmsNorm(s, x, w.inputNorm, eps(), xn);
                Tensor q = rc.temp(mb, s, t, (long) hl * dqk);
                if (c.hasQLora()) {
                    Tensor cq = rc.temp(mb, s, t, c.qLoraRank());
                    k.linear(s, xn, w.qA, cq);
                    Tensor cqn = rc.temp(mb, s, t, c.qLoraRank());
                    k.rmsNorm(s, cq, w.qANorm, eps(), cqn);
                    k.linear(s, cqn, w.qB, q);
                } else {
                    k.linear(s, xn, w.qB, q);
                }
                Tensor a = rc.temp(mb, s, t, rkv + dr);
                k.linear(s, xn, w.kvA, a);
                Tensor ckv = rc.temp(mb, s, t, rkv);
                k.rmsNorm(s, a.slice(1, 0, rkv), w.kvANorm, eps(), ckv);
                Tensor kpe = rc.temp(mb, s, t, dr);
                k.rope(s, a.slice(1, rkv, rkv + dr), pos, rc.ropeFrequencies(), kpe);
                Tensor q3 = q.view(t, hl, dqk);
                Tensor qpe = rc.temp(mb, s, t, hl, dr);
                k.rope(s, q3.slice(2, dn, dqk), pos, rc.ropeFrequencies(), qpe);
                float af = (float) c.ropeAttentionFactor();
                if (af != 1f) {
                    k.scale(s, kpe, af, kpe);
                    k.scale(s, qpe, af, qpe);
                }
                float scale = (float) c.softmaxScale();
                Tensor attn = rc.temp(mb, s, t, hl, dv);
                List<Chunk> chunks = mb.chunks();
                for (int i = 0; i < chunks.size(); ) {
                    int run = decodeRun(chunks, i);
                    if (run > 1) {
                        // single tokens (decode steps) attend as one batch: a handful of operations for all of them
                        decodeBatch(mb, s, chunks.subList(i, i + run), q3, qpe, ckv, kpe, scale, attn);
                        i += run;
                        continue;
                    }
                    Chunk chunk = chunks.get(i++);
                    int n = chunk.length();
                    if (n == 0) {
                        continue;
                    }
                    int st = chunk.start();
                    KvCache kv = chunk.sequence().cache(w.layer);
                    int prior = kv.append(k, s, ckv.slice(0, st, st + n), kpe.slice(0, st, st + n));
                    int len = prior + n;
                    Tensor qNope = q3.slice(0, st, st + n).slice(2, 0, dn).transpose(0, 1); // [hl, n, dn]
                    Tensor latent = kv.latent(len);                                           // [len, rkv]
                    boolean absorb = rc.mlaMode().absorb(n, len, rkv, dn, dr, dv);
                    Tensor qRope = qpe.slice(0, st, st + n).transpose(0, 1);                   // [hl, n, dr]
                    Tensor kRope = kv.ropeKey(len);                                            // [len, dr], all heads
                    Tensor o = rc.temp(mb, s, hl, n, dv);
                    // Fused causal attention: scores are never materialised as [hl, n, len] (Kernels.attention).
                    if (absorb) {
                        // q_lat[h] = W_UK[h]^T q_nope[h]; <q_nope, k_nope> = <q_lat, c>; attend over the latents,
                        // then up-project with W_UV.
                        Tensor wkv = w.kvB.view(hl, dn + dv, rkv);
                        Tensor wuv = wkv.slice(1, dn, dn + dv);                                 // [hl, dv, rkv]
                        Tensor qLat = rc.temp(mb, s, hl, n, rkv);
                        k.matmul(s, qNope, false, wkv.slice(1, 0, dn), false, qLat);
                        Tensor ctx = rc.temp(mb, s, hl, n, rkv);
                        k.attention(s, qLat, latent, qRope, kRope, latent, scale, prior, ctx);
                        k.matmul(s, ctx, false, wuv, true, o);
                    } else {
                        Tensor kvb = rc.temp(mb, s, len, (long) hl * (dn + dv));
                        k.linear(s, latent, w.kvB, kvb);
                        Tensor kv3 = kvb.view(len, hl, dn + dv);
                        Tensor kNope = kv3.slice(2, 0, dn).transpose(0, 1);                     // [hl, len, dn]
                        Tensor v = kv3.slice(2, dn, dn + dv).transpose(0, 1);                  // [hl, len, dv]
                        k.attention(s, qNope, kNope, qRope, kRope, v, scale, prior, o);
                    }
                    k.copy(s, o.transpose(0, 1), attn.slice(0, st, st + n));
                }
                k.linear(s, attn.view(t, (long) hl * dv), w.o, out);
            }
            if (rc.mode() == AttentionMode.DP) {
                Tensor h = rc.temp(mb, s, t, d);
                if (t > 0) {
                    k.add(s, x, out, h);
                }
                out(mb, H, h);
            } else {
                out(mb, ATTN_PARTIAL, out);
            }
        }

        /**
         * How many chunks from {@code i} on attend as one decode batch: single tokens in consecutive rows, of
         * distinct sequences, whose attention takes the absorbed form (keys are the latent shared by every head).
         */
        private int decodeRun(List<Chunk> chunks, int i) {
            if (chunks.get(i).length() != 1) {
                return 0;   // a prefill chunk never starts a decode batch
            }
            DeepSeekConfig c = rc.config();
            java.util.Set<RankSequence> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            int run = 0;
            while (i + run < chunks.size()) {
                Chunk chunk = chunks.get(i + run);
                if (chunk.length() != 1 || chunk.start() != chunks.get(i).start() + run || !seen.add(chunk.sequence())
                        || !rc.mlaMode().absorb(1, chunk.sequence().cache(w.layer).length() + 1L, c.kvLoraRank(),
                        c.qkNopeHeadDim(), c.qkRopeHeadDim(), c.vHeadDim())) {
                    break;
                }
                run++;
            }
            return run;
        }

        /**
         * The absorbed form of attention for a run of single tokens at rows {@code [s0, s0 + b)}: one copy appends
         * every sequence's new latent and rope key to its cache, then one matmul, one {@link Kernels#decodeAttention}
         * over the sequences' own caches, one matmul and one copy, whatever the batch size (one attention per
         * sequence would issue six operations each, and a decode step would wait on its host).
         */
        private void decodeBatch(DecoderMicroBatch mb, Stream s, List<Chunk> run, Tensor q3, Tensor qpe, Tensor ckv,
                                 Tensor kpe, float scale, Tensor attn) {
            DeepSeekConfig c = rc.config();
            Kernels k = rc.kernels();
            int hl = rc.localHeads();
            int dn = c.qkNopeHeadDim();
            int dv = c.vHeadDim();
            int rkv = c.kvLoraRank();
            int b = run.size();
            int s0 = run.getFirst().start();
            List<Tensor> rows = new java.util.ArrayList<>(2 * b);
            List<Tensor> slots = new java.util.ArrayList<>(2 * b);
            List<Tensor> latents = new java.util.ArrayList<>(b);
            List<Tensor> ropeKeys = new java.util.ArrayList<>(b);
            for (Chunk chunk : run) {
                KvCache kv = chunk.sequence().cache(w.layer);
                KvCache.Slot slot = kv.appendSlot(k, s, 1);
                int st = chunk.start();
                rows.add(ckv.slice(0, st, st + 1));
                slots.add(slot.latent());
                rows.add(kpe.slice(0, st, st + 1));
                slots.add(slot.ropeKey());
                latents.add(kv.latent(slot.prior() + 1));
                ropeKeys.add(kv.ropeKey(slot.prior() + 1));
            }
            k.copyEach(s, rows, slots);
            Tensor wkv = w.kvB.view(hl, dn + dv, rkv);
            Tensor qLat = rc.temp(mb, s, hl, b, rkv);
            k.matmul(s, q3.slice(0, s0, s0 + b).slice(2, 0, dn).transpose(0, 1), false, wkv.slice(1, 0, dn), false,
                    qLat);
            Tensor ctx = rc.temp(mb, s, hl, b, rkv);
            k.decodeAttention(s, qLat, qpe.slice(0, s0, s0 + b).transpose(0, 1), latents, ropeKeys, latents, scale, ctx);
            Tensor o = rc.temp(mb, s, hl, b, dv);
            k.matmul(s, ctx, false, wkv.slice(1, dn, dn + dv), true, o);
            k.copy(s, o.transpose(0, 1), attn.slice(0, s0, s0 + b));
        }
    }

    /** TP: sum of the ranks' partial o_proj outputs (row-parallel o_proj). */
    static final class AllReduce extends BaseStage {
        AllReduce(RankContext rc, DeviceLayer w) {
            super(rc, w, "attn-allreduce", StageKind.COMM, List.of(ATTN_PARTIAL), List.of("attn_out"), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            Tensor partial = in(mb, ATTN_PARTIAL);
            if (mb.tokens() > 0) {
                rc.communicator().allReduce(s, partial, partial, ReduceOp.SUM);
            }
            out(mb, "attn_out", partial);
        }
    }

    /** TP: residual on the rows whose FFN this rank computes. */
    static final class Residual extends BaseStage {
        Residual(RankContext rc, DeviceLayer w) {
            super(rc, w, "attn-residual", StageKind.COMPUTE, List.of(DecoderMicroBatch.HIDDEN, "attn_out"), List.of(H), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            Tensor x = mb.tensor(DecoderMicroBatch.HIDDEN);
            Tensor a = in(mb, "attn_out");
            int a0 = mb.ffnStart();
            int a1 = mb.ffnEnd();
            Tensor h = rc.temp(mb, s, a1 - a0, rc.config().hiddenSize());
            if (a1 > a0) {
                rc.kernels().add(s, x.slice(0, a0, a1), a.slice(0, a0, a1), h);
            }
            out(mb, H, h);
        }
    }

    /** TP: all-gather of the ranks' FFN row slices into the full layer output (slices padded to equal size). */
    static final class AllGather extends BaseStage {
        AllGather(RankContext rc, DeviceLayer w) {
            super(rc, w, "tp-allgather", StageKind.COMM, List.of(FfnStages.FFN_OUT), List.of(DecoderMicroBatch.HIDDEN), false);
        }

        @Override
        void run(DecoderMicroBatch mb, Stream s) {
            int d = rc.config().hiddenSize();
            int c = mb.ffnRowsPerRank();
            Tensor part = in(mb, FfnStages.FFN_OUT);
            if (mb.tokens() == 0) {
                out(mb, DecoderMicroBatch.HIDDEN, rc.temp(mb, s, 0, d));
                return;
            }
            Tensor padded = rc.temp(mb, s, c, d);
            int m = part.size(0);
            if (m < c) {
                rc.kernels().fill(s, padded, 0.0);
            }
            if (m > 0) {
                rc.kernels().copy(s, part, padded.slice(0, 0, m));
            }
            Tensor gathered = rc.temp(mb, s, (long) c * rc.size(), d);
            rc.communicator().allGather(s, padded, gathered);
            out(mb, DecoderMicroBatch.HIDDEN, gathered.slice(0, 0, mb.tokens()));
        }
    }
}
