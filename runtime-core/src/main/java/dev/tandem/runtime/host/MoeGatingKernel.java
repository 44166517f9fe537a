package dev.tandem.runtime.host;

import dev.tandem.runtime.MoeGating;
import dev.tandem.runtime.Tensor;

/** The host's {@code moeGatingTopK} (see {@link dev.tandem.runtime.Kernels#moeGatingTopK}). */
final class MoeGatingKernel {
    private MoeGatingKernel() {
    }

    /** For validated logits [n, e], bias [e] or null, weights [n, k] floating, indices [n, k] I32. */
    static void run(KernelLauncher launcher, Tensor logits, Tensor bias, MoeGating g, Tensor weights, Tensor indices) {
        int n = logits.size(0);
        int e = logits.size(1);
        int k = g.k();
        if (n == 0) {
            return;
        }
        float[] b = new float[e];
        if (bias != null) {
            TensorAccess.of(launcher, bias).readFloats(0, b, 0, e);
        }
        TensorAccess in = TensorAccess.of(launcher, logits);
        TensorAccess w = TensorAccess.of(launcher, weights);
        TensorAccess ix = TensorAccess.of(launcher, indices);
        ParallelRanges.run(launcher, n, 8L * e, (from, to) -> {
            float[] scores = new float[e];
            float[] sel = new float[e];
            float[] outW = new float[k];
            long[] outI = new long[k];
            for (long r = from; r < to; r++) {
                in.readFloats(r * e, scores, 0, e);
                select(g, scores, b, sel, outW, outI);
                w.writeFloats(r * k, outW, 0, k);
                ix.writeLongs(r * k, outI, 0, k);
            }
        });
    }

    /** One row: {@code scores} holds the logits on entry and the normalised scores on exit. */
    static void select(MoeGating g, float[] scores, float[] bias, float[] sel, float[] weights, long[] indices) {
        int e = scores.length;
        if (g.norm() == MoeGating.Norm.SIGMOID) {
            for (int x = 0; x < e; x++) {
                scores[x] = (float) (1 / (1 + Math.exp(-scores[x])));
            }
        } else {
            double max = Double.NEGATIVE_INFINITY;
            for (float v : scores) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (int x = 0; x < e; x++) {
                sum += Math.exp(scores[x] - max);
            }
            for (int x = 0; x < e; x++) {
                scores[x] = (float) (Math.exp(scores[x] - max) / sum);
            }
        }
        for (int x = 0; x < e; x++) {
            sel[x] = scores[x] + bias[x];
        }
        int per = e / g.groups();
        float[] groupScore = new float[g.groups()];
        for (int grp = 0; grp < g.groups(); grp++) {
            float best = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            for (int x = grp * per; x < (grp + 1) * per; x++) {
                if (sel[x] > best) {
                    second = best;
                    best = sel[x];
                } else if (sel[x] > second) {
                    second = sel[x];
                }
            }
            groupScore[grp] = g.groupScore() == MoeGating.GroupScore.SUM_OF_TOP_TWO && per >= 2 ? best + second : best;
        }
        boolean[] kept = new boolean[g.groups()];
        for (int j = 0; j < g.keepGroups(); j++) {
            int arg = -1;
            for (int grp = 0; grp < g.groups(); grp++) {
                if (!kept[grp] && (arg < 0 || groupScore[grp] > groupScore[arg])) {
                    arg = grp;
                }
            }
            kept[arg] = true;
        }
        boolean[] taken = new boolean[e];
        double sum = 0;
        for (int j = 0; j < g.k(); j++) {
            int arg = -1;
            for (int x = 0; x < e; x++) {
                if (!taken[x] && kept[x / per] && (arg < 0 || sel[x] > sel[arg])) {
                    arg = x;
                }
            }
            taken[arg] = true;
            indices[j] = arg;
            weights[j] = scores[arg];
            sum += scores[arg];
        }
        for (int j = 0; j < g.k(); j++) {
            double v = g.renormalize() ? weights[j] / (sum + 1e-20) : weights[j];
            weights[j] = (float) (v * g.scaling());
        }
    }
}
