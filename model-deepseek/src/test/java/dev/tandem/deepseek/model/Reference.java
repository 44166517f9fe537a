package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.config.ScoringFunc;
import dev.tandem.deepseek.config.TopkMethod;
import dev.tandem.deepseek.weights.LayerWeights;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A plain single-device double-precision DeepSeek decoder layer written straight from the equations in
 * deepseek.md, independent of the runtime and of the model code (it shares only config and weights). Slow and
 * simple on purpose.
 */
final class Reference {
    private Reference() {
    }

    /** Smallest gap, over all tokens of all MoE layers run so far, between the k-th and (k+1)-th selection score. */
    static double minMargin = Double.POSITIVE_INFINITY;

    static double[][] linear(double[][] x, float[] w, int out, int in) {
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) {
                    s += x[t][i] * w[o * in + i];
                }
                y[t][o] = s;
            }
        }
        return y;
    }

    static double[][] rmsNorm(double[][] x, float[] w, double eps) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            int n = x[t].length;
            double ms = 0;
            for (double v : x[t]) {
                ms += v * v;
            }
            double inv = 1 / Math.sqrt(ms / n + eps);
            y[t] = new double[n];
            for (int i = 0; i < n; i++) {
                y[t][i] = w[i] * x[t][i] * inv;
            }
        }
        return y;
    }

    static double[] rope(double[] v, int off, int dr, int position, double[] invFreq, double factor) {
        double[] out = new double[dr];
        for (int i = 0; i < dr / 2; i++) {
            double th = position * invFreq[i];
            double a = v[off + 2 * i];
            double b = v[off + 2 * i + 1];
            out[2 * i] = (a * Math.cos(th) - b * Math.sin(th)) * factor;
            out[2 * i + 1] = (a * Math.sin(th) + b * Math.cos(th)) * factor;
        }
        return out;
    }

    static double silu(double z) {
        return z / (1 + Math.exp(-z));
    }

    static double[][] mlp(double[][] x, float[] g, float[] u, float[] dn, int inter, int d) {
        double[][] a = linear(x, g, inter, d);
        double[][] b = linear(x, u, inter, d);
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < inter; i++) {
                a[t][i] = silu(a[t][i]) * b[t][i];
            }
        }
        return linear(a, dn, d, inter);
    }

    /** MLA over each request of a variable-length batch (no cache): returns the o_proj output. */
    static double[][] attention(DeepSeekConfig c, LayerWeights w, double[][] xn, int[] pos, int[] seqLens) {
        int t = xn.length;
        int d = c.hiddenSize();
        int heads = c.numAttentionHeads();
        int dn = c.qkNopeHeadDim();
        int dr = c.qkRopeHeadDim();
        int dv = c.vHeadDim();
        int dqk = dn + dr;
        int rkv = c.kvLoraRank();
        double[][] q;
        if (c.hasQLora()) {
            double[][] cq = linear(xn, w.get("self_attn.q_a_proj.weight"), c.qLoraRank(), d);
            cq = rmsNorm(cq, w.get("self_attn.q_a_layernorm.weight"), c.rmsNormEps());
            q = linear(cq, w.get("self_attn.q_b_proj.weight"), heads * dqk, c.qLoraRank());
        } else {
            q = linear(xn, w.get("self_attn.q_proj.weight"), heads * dqk, d);
        }
        double[][] a = linear(xn, w.get("self_attn.kv_a_proj_with_mqa.weight"), rkv + dr, d);
        double[][] ckv = new double[t][rkv];
        for (int i = 0; i < t; i++) {
            System.arraycopy(a[i], 0, ckv[i], 0, rkv);
        }
        ckv = rmsNorm(ckv, w.get("self_attn.kv_a_layernorm.weight"), c.rmsNormEps());
        double[][] kv = linear(ckv, w.get("self_attn.kv_b_proj.weight"), heads * (dn + dv), rkv);
        double[] inv = c.ropeInverseFrequencies();
        double af = c.ropeAttentionFactor();
        double[][] kpe = new double[t][];
        for (int i = 0; i < t; i++) {
            kpe[i] = rope(a[i], rkv, dr, pos[i], inv, af);
        }
        double scale = c.softmaxScale();
        double[][] o = new double[t][heads * dv];
        int start = 0;
        for (int len : seqLens) {
            for (int h = 0; h < heads; h++) {
                for (int s = start; s < start + len; s++) {
                    double[] qpe = rope(q[s], h * dqk + dn, dr, pos[s], inv, af);
                    double[] logits = new double[s - start + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = start; j <= s; j++) {
                        double dot = 0;
                        for (int x = 0; x < dn; x++) {
                            dot += q[s][h * dqk + x] * kv[j][h * (dn + dv) + x];
                        }
                        for (int x = 0; x < dr; x++) {
                            dot += qpe[x] * kpe[j][x];
                        }
                        logits[j - start] = dot * scale;
                        max = Math.max(max, logits[j - start]);
                    }
                    double z = 0;
                    for (int j = 0; j < logits.length; j++) {
                        logits[j] = Math.exp(logits[j] - max);
                        z += logits[j];
                    }
                    for (int j = start; j <= s; j++) {
                        double p = logits[j - start] / z;
                        for (int x = 0; x < dv; x++) {
                            o[s][h * dv + x] += p * kv[j][h * (dn + dv) + dn + x];
                        }
                    }
                }
            }
            start += len;
        }
        return linear(o, w.get("self_attn.o_proj.weight"), d, heads * dv);
    }

    /** Selected experts (ascending) and their final weights for one token's router logits. */
    static List<double[]> gate(DeepSeekConfig c, double[] logits, float[] bias) {
        int e = c.nRoutedExperts();
        double[] s = new double[e];
        if (c.scoringFunc() == ScoringFunc.SIGMOID) {
            for (int x = 0; x < e; x++) {
                s[x] = 1 / (1 + Math.exp(-logits[x]));
            }
        } else {
            double max = Double.NEGATIVE_INFINITY;
            for (double l : logits) {
                max = Math.max(max, l);
            }
            double z = 0;
            for (int x = 0; x < e; x++) {
                s[x] = Math.exp(logits[x] - max);
                z += s[x];
            }
            for (int x = 0; x < e; x++) {
                s[x] /= z;
            }
        }
        double[] sel = new double[e];
        for (int x = 0; x < e; x++) {
            sel[x] = c.topkMethod() == TopkMethod.NOAUX_TC ? s[x] + bias[x] : s[x];
        }
        boolean grouped = c.topkMethod() != TopkMethod.GREEDY;
        int groups = grouped ? c.nGroup() : 1;
        int per = e / groups;
        List<Integer> allowed = new ArrayList<>();
        if (grouped) {
            double[] gs = new double[groups];
            for (int g = 0; g < groups; g++) {
                List<Double> vals = new ArrayList<>();
                for (int x = g * per; x < (g + 1) * per; x++) {
                    vals.add(sel[x]);
                }
                vals.sort(Comparator.reverseOrder());
                gs[g] = c.topkMethod() == TopkMethod.NOAUX_TC ? vals.get(0) + vals.get(1) : vals.get(0);
            }
            List<Integer> order = new ArrayList<>();
            for (int g = 0; g < groups; g++) {
                order.add(g);
            }
            order.sort((p1, p2) -> Double.compare(gs[p2], gs[p1]) != 0 ? Double.compare(gs[p2], gs[p1]) : p1 - p2);
            for (int n = 0; n < c.topkGroup(); n++) {
                int g = order.get(n);
                for (int x = g * per; x < (g + 1) * per; x++) {
                    allowed.add(x);
                }
            }
        } else {
            for (int x = 0; x < e; x++) {
                allowed.add(x);
            }
        }
        allowed.sort((p1, p2) -> Double.compare(sel[p2], sel[p1]) != 0 ? Double.compare(sel[p2], sel[p1]) : p1 - p2);
        int k = c.numExpertsPerTok();
        if (allowed.size() > k) {
            minMargin = Math.min(minMargin, sel[allowed.get(k - 1)] - sel[allowed.get(k)]);
        }
        List<Integer> chosen = new ArrayList<>(allowed.subList(0, k));
        chosen.sort(null);
        double sum = 0;
        for (int x : chosen) {
            sum += s[x];
        }
        List<double[]> out = new ArrayList<>();
        for (int x : chosen) {
            double wgt = c.normTopkProb() ? s[x] / sum : s[x];
            out.add(new double[]{x, wgt * c.routedScalingFactor()});
        }
        return out;
    }

    /** One decoder layer on a batch of requests (no cache). */
    static double[][] layer(DeepSeekConfig c, LayerWeights w, double[][] x, int[] pos, int[] seqLens) {
        int d = c.hiddenSize();
        double[][] xn = rmsNorm(x, w.get("input_layernorm.weight"), c.rmsNormEps());
        double[][] attn = attention(c, w, xn, pos, seqLens);
        double[][] h = new double[x.length][d];
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < d; i++) {
                h[t][i] = x[t][i] + attn[t][i];
            }
        }
        double[][] hn = rmsNorm(h, w.get("post_attention_layernorm.weight"), c.rmsNormEps());
        double[][] ffn;
        if (!c.isMoeLayer(w.layer())) {
            ffn = mlp(hn, w.get("mlp.gate_proj.weight"), w.get("mlp.up_proj.weight"), w.get("mlp.down_proj.weight"),
                    c.intermediateSize(), d);
        } else {
            int e = c.nRoutedExperts();
            int inter = c.moeIntermediateSize();
            double[][] logits = linear(hn, w.get("mlp.gate.weight"), e, d);
            float[] bias = w.has("mlp.gate.e_score_correction_bias") ? w.get("mlp.gate.e_score_correction_bias") : null;
            ffn = new double[x.length][d];
            for (int t = 0; t < x.length; t++) {
                double[][] row = {hn[t]};
                for (double[] sel : gate(c, logits[t], bias)) {
                    String p = "mlp.experts." + (int) sel[0] + ".";
                    double[] y = mlp(row, w.get(p + "gate_proj.weight"), w.get(p + "up_proj.weight"),
                            w.get(p + "down_proj.weight"), inter, d)[0];
                    for (int i = 0; i < d; i++) {
                        ffn[t][i] += sel[1] * y[i];
                    }
                }
                if (c.nSharedExperts() > 0) {
                    int si = inter * c.nSharedExperts();
                    double[] y = mlp(row, w.get("mlp.shared_experts.gate_proj.weight"),
                            w.get("mlp.shared_experts.up_proj.weight"), w.get("mlp.shared_experts.down_proj.weight"), si, d)[0];
                    for (int i = 0; i < d; i++) {
                        ffn[t][i] += y[i];
                    }
                }
            }
        }
        double[][] out = new double[x.length][d];
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < d; i++) {
                out[t][i] = h[t][i] + ffn[t][i];
            }
        }
        return out;
    }

    static double[][] rows(float[] flat, int d) {
        double[][] x = new double[flat.length / d][d];
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < d; i++) {
                x[t][i] = flat[t * d + i];
            }
        }
        return x;
    }
}
