package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.config.TopkMethod;
import dev.tandem.deepseek.weights.LayerWeights;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * One layer's weights on one rank's device, laid out for the rank's share of the work: under TP only the rank's
 * heads of q_b/q/kv_b (rows) and o_proj (columns); only the rank's routed experts, each with gate and up fused into
 * one {@code [2I, d]} matrix. Norm weights and the router stay F32; other weights use the runner's weight dtype.
 */
public final class DeviceLayer implements AutoCloseable {
    final int layer;
    final boolean moe;
    final Tensor inputNorm;
    final Tensor qA;
    final Tensor qANorm;
    final Tensor qB;      // q_b_proj (or q_proj without q-lora), local heads
    final Tensor kvA;
    final Tensor kvANorm;
    final Tensor kvB;     // local heads
    final Tensor o;       // [d, localHeads*dv]
    final Tensor postNorm;
    final Tensor mlpGateUp;   // dense
    final Tensor mlpDown;
    final Tensor router;      // [E, d]
    final float[] routerBias; // host copy: selection happens on the host
    final Tensor[] expertGateUp;
    final Tensor[] expertDown;
    final Tensor sharedGateUp;
    final Tensor sharedDown;
    private final List<Tensor> owned = new ArrayList<>();

    DeviceLayer(RankContext rc, LayerWeights w, Stream s) {
        this(rc, w, w.layer(), s);
    }

    /**
     * Layer {@code layer} with every tensor allocated but nothing uploaded: for simulated devices, which carry
     * shapes but no data (the planner runs full-size models this way).
     */
    static DeviceLayer shapesOnly(RankContext rc, int layer, Stream s) {
        return new DeviceLayer(rc, null, layer, s);
    }

    private DeviceLayer(RankContext rc, LayerWeights w, int layer, Stream s) {
        DeepSeekConfig c = rc.config();
        this.layer = layer;
        this.moe = c.isMoeLayer(layer);
        int hl = rc.localHeads();
        int h0 = rc.headStart();
        DType wd = rc.weightDType();
        inputNorm = up(rc, s, DType.F32, get(w, "input_layernorm.weight"), c.hiddenSize());
        if (c.hasQLora()) {
            qA = up(rc, s, wd, get(w, "self_attn.q_a_proj.weight"), c.qLoraRank(), c.hiddenSize());
            qANorm = up(rc, s, DType.F32, get(w, "self_attn.q_a_layernorm.weight"), c.qLoraRank());
            qB = up(rc, s, wd, rows(get(w, "self_attn.q_b_proj.weight"), c.qLoraRank(), h0 * c.qkHeadDim(), hl * c.qkHeadDim()),
                    (long) hl * c.qkHeadDim(), c.qLoraRank());
        } else {
            qA = null;
            qANorm = null;
            qB = up(rc, s, wd, rows(get(w, "self_attn.q_proj.weight"), c.hiddenSize(), h0 * c.qkHeadDim(), hl * c.qkHeadDim()),
                    (long) hl * c.qkHeadDim(), c.hiddenSize());
        }
        kvA = up(rc, s, wd, get(w, "self_attn.kv_a_proj_with_mqa.weight"), c.kvLoraRank() + c.qkRopeHeadDim(), c.hiddenSize());
        kvANorm = up(rc, s, DType.F32, get(w, "self_attn.kv_a_layernorm.weight"), c.kvLoraRank());
        int kvw = c.qkNopeHeadDim() + c.vHeadDim();
        kvB = up(rc, s, wd, rows(get(w, "self_attn.kv_b_proj.weight"), c.kvLoraRank(), h0 * kvw, hl * kvw), (long) hl * kvw, c.kvLoraRank());
        o = up(rc, s, wd, columns(get(w, "self_attn.o_proj.weight"), c.hiddenSize(), c.numAttentionHeads() * c.vHeadDim(),
                h0 * c.vHeadDim(), hl * c.vHeadDim()), c.hiddenSize(), (long) hl * c.vHeadDim());
        postNorm = up(rc, s, DType.F32, get(w, "post_attention_layernorm.weight"), c.hiddenSize());
        if (!moe) {
            int inter = c.intermediateSize();
            mlpGateUp = up(rc, s, wd, concat(get(w, "mlp.gate_proj.weight"), get(w, "mlp.up_proj.weight")), 2L * inter, c.hiddenSize());
            mlpDown = up(rc, s, wd, get(w, "mlp.down_proj.weight"), c.hiddenSize(), inter);
            router = null;
            routerBias = null;
            expertGateUp = null;
            expertDown = null;
            sharedGateUp = null;
            sharedDown = null;
            return;
        }
        mlpGateUp = null;
        mlpDown = null;
        int e = c.nRoutedExperts();
        int inter = c.moeIntermediateSize();
        router = up(rc, s, DType.F32, get(w, "mlp.gate.weight"), e, c.hiddenSize());
        routerBias = c.topkMethod() == TopkMethod.NOAUX_TC ? biasOf(w, c.nRoutedExperts()) : null;
        int n = rc.expertsPerRank();
        expertGateUp = new Tensor[n];
        expertDown = new Tensor[n];
        for (int i = 0; i < n; i++) {
            String p = "mlp.experts." + (rc.expertStart() + i) + ".";
            expertGateUp[i] = up(rc, s, wd, concat(get(w, p + "gate_proj.weight"), get(w, p + "up_proj.weight")), 2L * inter, c.hiddenSize());
            expertDown[i] = up(rc, s, wd, get(w, p + "down_proj.weight"), c.hiddenSize(), inter);
        }
        if (c.nSharedExperts() > 0) {
            int si = inter * c.nSharedExperts();
            sharedGateUp = up(rc, s, wd, concat(get(w, "mlp.shared_experts.gate_proj.weight"),
                    get(w, "mlp.shared_experts.up_proj.weight")), 2L * si, c.hiddenSize());
            sharedDown = up(rc, s, wd, get(w, "mlp.shared_experts.down_proj.weight"), c.hiddenSize(), si);
        } else {
            sharedGateUp = null;
            sharedDown = null;
        }
    }

    /** A weight's values, or null without weights (shapes only). */
    private static float[] get(LayerWeights w, String name) {
        return w == null ? null : w.get(name);
    }

    private static float[] biasOf(LayerWeights w, int experts) {
        return w == null ? new float[experts] : w.get("mlp.gate.e_score_correction_bias").clone();
    }

    private Tensor up(RankContext rc, Stream s, DType dtype, float[] values, long... shape) {
        Tensor t = Tensor.allocate(rc.device(), s, dtype, shape);
        if (values != null) {
            s.upload(values, t);
        }
        owned.add(t);
        return t;
    }

    /** Rows {@code [start, start+count)} of a row-major matrix with {@code cols} columns. */
    static float[] rows(float[] m, int cols, int start, int count) {
        if (m == null) {
            return null;
        }
        if (start == 0 && (long) count * cols == m.length) {
            return m;
        }
        float[] out = new float[count * cols];
        System.arraycopy(m, start * cols, out, 0, out.length);
        return out;
    }

    /** Columns {@code [start, start+count)} of a row-major {@code [rows, cols]} matrix. */
    static float[] columns(float[] m, int rows, int cols, int start, int count) {
        if (m == null) {
            return null;
        }
        if (start == 0 && count == cols) {
            return m;
        }
        float[] out = new float[rows * count];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(m, r * cols + start, out, r * count, count);
        }
        return out;
    }

    static float[] concat(float[] a, float[] b) {
        if (a == null || b == null) {
            return null;
        }
        float[] out = new float[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public void close() {
        for (Tensor t : owned) {
            t.buffer().close();
        }
        owned.clear();
    }
}
