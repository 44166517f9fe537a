package dev.tandem.deepseek.weights;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.config.TopkMethod;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The host-side weights of one decoder layer, keyed by HuggingFace names relative to {@code model.layers.{i}.}
 * (e.g. {@code self_attn.q_a_proj.weight}, {@code mlp.experts.7.down_proj.weight}), as F32 arrays in the
 * checkpoint's {@code [out, in]} layout. Routed experts outside the requested range are not held.
 *
 * <p>Weights {@link #load loaded} from a checkpoint or {@link #randomOnDemand drawn on demand} are not held
 * here at all: each {@link #get} converts (or draws) that tensor afresh, so a runner uploading a layer holds at
 * most the tensor it is uploading on the Java heap, never a second copy of the whole layer next to the device's.
 */
public final class LayerWeights {
    private final int layer;
    private final Map<String, Supplier<float[]>> tensors;
    private final Map<String, long[]> shapes;
    private final int expertStart;
    private final int expertEnd;

    private LayerWeights(int layer, Map<String, Supplier<float[]>> tensors, Map<String, long[]> shapes, int expertStart, int expertEnd) {
        this.layer = layer;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.shapes = Collections.unmodifiableMap(shapes);
        this.expertStart = expertStart;
        this.expertEnd = expertEnd;
    }

    /**
     * One expected tensor: name relative to the layer prefix, shape, and how random init draws it.
     * @param name  the tensor name after {@link #prefix(int)}, e.g. {@code self_attn.kv_a_proj_with_mqa.weight}
     * @param shape the dimensions, outermost first
     * @param init  the distribution random weights draw from
     */
    public record Spec(String name, long[] shape, Init init) {
    }

    /** How random init draws a tensor. */
    public enum Init {
        /** Linear weight: N(0, 1/sqrt(fan_in)). */
        LINEAR,
        /** Norm weight: 1 + 0.2 N(0, 1). */
        NORM,
        /** Correction bias: N(0, 0.1). */
        BIAS
    }

    /**
     * The HF name prefix of a layer's tensors.
     * @param layer zero-based layer index
     * @return {@code model.layers.<layer>.}
     */
    public static String prefix(int layer) {
        return "model.layers." + layer + ".";
    }

    /**
     * Every tensor of layer {@code layer}, routed experts limited to {@code [expertStart, expertEnd)}.
     * @param c           the model config
     * @param layer       zero-based layer index
     * @param expertStart first routed expert included
     * @param expertEnd   end (exclusive) of the routed experts included
     * @return the tensor specs in checkpoint order
     */
    public static List<Spec> specs(DeepSeekConfig c, int layer, int expertStart, int expertEnd) {
        int d = c.hiddenSize();
        int h = c.numAttentionHeads();
        List<Spec> s = new ArrayList<>();
        s.add(new Spec("input_layernorm.weight", new long[]{d}, Init.NORM));
        if (c.hasQLora()) {
            s.add(new Spec("self_attn.q_a_proj.weight", new long[]{c.qLoraRank(), d}, Init.LINEAR));
            s.add(new Spec("self_attn.q_a_layernorm.weight", new long[]{c.qLoraRank()}, Init.NORM));
            s.add(new Spec("self_attn.q_b_proj.weight", new long[]{(long) h * c.qkHeadDim(), c.qLoraRank()}, Init.LINEAR));
        } else {
            s.add(new Spec("self_attn.q_proj.weight", new long[]{(long) h * c.qkHeadDim(), d}, Init.LINEAR));
        }
        s.add(new Spec("self_attn.kv_a_proj_with_mqa.weight", new long[]{c.kvLoraRank() + c.qkRopeHeadDim(), d}, Init.LINEAR));
        s.add(new Spec("self_attn.kv_a_layernorm.weight", new long[]{c.kvLoraRank()}, Init.NORM));
        s.add(new Spec("self_attn.kv_b_proj.weight", new long[]{(long) h * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank()}, Init.LINEAR));
        s.add(new Spec("self_attn.o_proj.weight", new long[]{d, (long) h * c.vHeadDim()}, Init.LINEAR));
        s.add(new Spec("post_attention_layernorm.weight", new long[]{d}, Init.NORM));
        if (!c.isMoeLayer(layer)) {
            int inter = c.intermediateSize();
            s.add(new Spec("mlp.gate_proj.weight", new long[]{inter, d}, Init.LINEAR));
            s.add(new Spec("mlp.up_proj.weight", new long[]{inter, d}, Init.LINEAR));
            s.add(new Spec("mlp.down_proj.weight", new long[]{d, inter}, Init.LINEAR));
            return s;
        }
        int e = c.nRoutedExperts();
        int inter = c.moeIntermediateSize();
        s.add(new Spec("mlp.gate.weight", new long[]{e, d}, Init.LINEAR));
        if (c.topkMethod() == TopkMethod.NOAUX_TC) {
            s.add(new Spec("mlp.gate.e_score_correction_bias", new long[]{e}, Init.BIAS));
        }
        for (int x = expertStart; x < expertEnd; x++) {
            String p = "mlp.experts." + x + ".";
            s.add(new Spec(p + "gate_proj.weight", new long[]{inter, d}, Init.LINEAR));
            s.add(new Spec(p + "up_proj.weight", new long[]{inter, d}, Init.LINEAR));
            s.add(new Spec(p + "down_proj.weight", new long[]{d, inter}, Init.LINEAR));
        }
        if (c.nSharedExperts() > 0) {
            int si = inter * c.nSharedExperts();
            s.add(new Spec("mlp.shared_experts.gate_proj.weight", new long[]{si, d}, Init.LINEAR));
            s.add(new Spec("mlp.shared_experts.up_proj.weight", new long[]{si, d}, Init.LINEAR));
            s.add(new Spec("mlp.shared_experts.down_proj.weight", new long[]{d, si}, Init.LINEAR));
        }
        return s;
    }

    /**
     * Seeded random weights: linears N(0, 1/sqrt(fan_in)), norms 1 + 0.2 N(0,1), the V3 correction bias N(0, 0.1).
     * Each tensor has its own generator derived from (seed, layer, name), so any subset of experts or layers
     * draws exactly the values the full model would.
     * @param c           the model config
     * @param layer       zero-based layer index
     * @param seed        the model's random seed
     * @param expertStart first routed expert included
     * @param expertEnd   end (exclusive) of the routed experts included
     * @return the layer's weights, held in memory
     */
    public static LayerWeights random(DeepSeekConfig c, int layer, long seed, int expertStart, int expertEnd) {
        Map<String, Supplier<float[]>> t = new LinkedHashMap<>();
        Map<String, long[]> sh = new LinkedHashMap<>();
        for (Spec spec : specs(c, layer, expertStart, expertEnd)) {
            float[] v = draw(spec, seed, layer);
            t.put(spec.name, () -> v);
            sh.put(spec.name, spec.shape);
        }
        return new LayerWeights(layer, t, sh, expertStart, expertEnd);
    }

    /**
     * The same values as {@link #random(DeepSeekConfig, int, long, int, int)}, drawn again by each {@link #get}
     * (every tensor has its own generator) instead of held: for runners, which upload each tensor once.
     * @param c           the model config
     * @param layer       zero-based layer index
     * @param seed        the model's random seed
     * @param expertStart first routed expert included
     * @param expertEnd   end (exclusive) of the routed experts included
     * @return the layer's weights, drawn on each {@link #get}
     */
    public static LayerWeights randomOnDemand(DeepSeekConfig c, int layer, long seed, int expertStart, int expertEnd) {
        Map<String, Supplier<float[]>> t = new LinkedHashMap<>();
        Map<String, long[]> sh = new LinkedHashMap<>();
        for (Spec spec : specs(c, layer, expertStart, expertEnd)) {
            t.put(spec.name, () -> draw(spec, seed, layer));
            sh.put(spec.name, spec.shape);
        }
        return new LayerWeights(layer, t, sh, expertStart, expertEnd);
    }

    /**
     * Seeded random weights of a layer with every routed expert.
     * @param c     the model config
     * @param layer zero-based layer index
     * @param seed  the model's random seed
     * @return the layer's weights, held in memory
     */
    public static LayerWeights random(DeepSeekConfig c, int layer, long seed) {
        return random(c, layer, seed, 0, c.nRoutedExperts());
    }

    static float[] draw(Spec spec, long seed, int layer) {
        long n = 1;
        for (long d : spec.shape) {
            n *= d;
        }
        long h = seed * 0x9E3779B97F4A7C15L + layer * 0xC2B2AE3D27D4EB4FL;
        for (char ch : spec.name.toCharArray()) {
            h = (h ^ ch) * 0x100000001B3L;
        }
        SplittableRandom rnd = new SplittableRandom(h);
        float[] v = new float[Math.toIntExact(n)];
        switch (spec.init) {
            case LINEAR -> {
                double std = 1.0 / Math.sqrt(spec.shape[spec.shape.length - 1]);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (gaussian(rnd) * std);
                }
            }
            case NORM -> {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (1 + 0.2 * gaussian(rnd));
                }
            }
            case BIAS -> {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.1 * gaussian(rnd));
                }
            }
        }
        return v;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1;
        do {
            u1 = rnd.nextDouble();
        } while (u1 <= 0);
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * One layer of a checkpoint (only routed experts in range). Every tensor's presence and shape is checked now;
     * the values are read from the (memory-mapped) checkpoint by each {@link #get}, which checks the dtype, so the
     * result is valid while {@code ckpt} is open and holds no weight itself.
     * @param ckpt        the open checkpoint
     * @param layer       zero-based layer index
     * @param expertStart first routed expert included
     * @param expertEnd   end (exclusive) of the routed experts included
     * @return the layer's weights, reading from {@code ckpt}
     * @throws SafetensorsException if a tensor is missing or has the wrong shape
     */
    public static LayerWeights load(Checkpoint ckpt, int layer, int expertStart, int expertEnd) {
        DeepSeekConfig c = ckpt.config();
        Map<String, Supplier<float[]>> t = new LinkedHashMap<>();
        Map<String, long[]> sh = new LinkedHashMap<>();
        for (Spec spec : specs(c, layer, expertStart, expertEnd)) {
            String full = prefix(layer) + spec.name;
            ckpt.tensor(full).requireShape(spec.shape);
            t.put(spec.name, () -> ckpt.floats(full, spec.shape));
            sh.put(spec.name, spec.shape);
        }
        return new LayerWeights(layer, t, sh, expertStart, expertEnd);
    }

    /** {@return the zero-based layer index} */
    public int layer() {
        return layer;
    }

    /** {@return the first routed expert held} */
    public int expertStart() {
        return expertStart;
    }

    /** {@return the end (exclusive) of the routed experts held} */
    public int expertEnd() {
        return expertEnd;
    }

    /**
     * Whether this layer holds a tensor.
     *
     * @param name a tensor name after the layer prefix
     * @return whether this layer holds it
     */
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The tensor (possibly a shared array: do not modify; possibly converted afresh: fetch it once).
     * @param name a tensor name after the layer prefix
     * @return the values, row-major
     * @throws IllegalArgumentException if the layer holds no such tensor
     */
    public float[] get(String name) {
        Supplier<float[]> v = tensors.get(name);
        if (v == null) {
            throw new IllegalArgumentException("layer " + layer + " holds no tensor " + name);
        }
        return v.get();
    }

    /**
     * The dimensions of a tensor.
     * @param name a tensor name after the layer prefix
     * @return a copy of its shape
     * @throws IllegalArgumentException if the layer holds no such tensor
     */
    public long[] shape(String name) {
        long[] s = shapes.get(name);
        if (s == null) {
            throw new IllegalArgumentException("layer " + layer + " holds no tensor " + name);
        }
        return s.clone();
    }

    /**
     * A copy with tensor {@code name} replaced by {@code values} (same shape), e.g. to isolate a block in tests.
     * @param name   a tensor name after the layer prefix
     * @param values the new values, as many as the shape holds
     * @return the new weights
     * @throws IllegalArgumentException if the tensor is absent or the value count differs
     */
    public LayerWeights with(String name, float[] values) {
        long[] shape = shape(name);
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (values.length != n) {
            throw new IllegalArgumentException(name + " needs " + n + " values, got " + values.length);
        }
        Map<String, Supplier<float[]>> t = new LinkedHashMap<>(tensors);
        float[] copy = values.clone();
        t.put(name, () -> copy);
        Map<String, long[]> sh = new LinkedHashMap<>(shapes);
        sh.put(name, shape);
        return new LayerWeights(layer, t, sh, expertStart, expertEnd);
    }

    /** {@return the tensor names after the layer prefix, in spec order} */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /**
     * Writes these tensors with full HF names into {@code writer} in {@code dtype}; F8_E4M3 stores 2-D weights
     * block-quantized with {@code _scale_inv} F32 scales (norms and the bias stay F32).
     * @param writer   the file to add tensors to
     * @param dtype    storage type of the floating weights
     * @param fp8Block {@code [rows, cols]} of FP8 scale blocks; used only for F8_E4M3
     */
    public void writeTo(SafetensorsWriter writer, StDType dtype, int[] fp8Block) {
        for (String name : tensors.keySet()) {
            long[] shape = shapes.get(name);
            float[] v = tensors.get(name).get();
            String full = prefix(layer) + name;
            if (dtype == StDType.F8_E4M3) {
                if (shape.length == 2) {
                    Fp8Quantized q = Fp8Quantized.quantize(v, (int) shape[0], (int) shape[1], fp8Block[0], fp8Block[1]);
                    writer.add(full, StDType.F8_E4M3, shape, q.bytes());
                    writer.addF32(full + "_scale_inv", new long[]{q.scaleRows(), q.scaleCols()}, q.scaleInv());
                } else {
                    writer.addF32(full, shape, v);
                }
            } else if (name.endsWith("e_score_correction_bias")) {
                writer.addF32(full, shape, v);
            } else {
                writer.addFloats(full, dtype, shape, v);
            }
        }
    }

    /**
     * Block FP8 quantization of a weight: {@code q = round(W / s)}, with {@code scaleInv = s = amax / 448} per block.
     * @param bytes     {@code rows * cols} E4M3 codes, row-major
     * @param scaleInv  per-block dequantization scales, {@code [scaleRows, scaleCols]} row-major
     * @param scaleRows blocks along the rows
     * @param scaleCols blocks along the columns
     */
    public record Fp8Quantized(byte[] bytes, float[] scaleInv, int scaleRows, int scaleCols) {
        /**
         * Quantizes a row-major {@code [rows, cols]} weight in {@code [br, bc]} blocks.
         * @param w    the weight, row-major
         * @param rows weight rows
         * @param cols weight columns
         * @param br   rows per block
         * @param bc   columns per block
         * @return the codes and scales (an all-zero block gets scale 1)
         */
        public static Fp8Quantized quantize(float[] w, int rows, int cols, int br, int bc) {
            int sr = (rows + br - 1) / br;
            int sc = (cols + bc - 1) / bc;
            float[] scale = new float[sr * sc];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    int s = (i / br) * sc + j / bc;
                    scale[s] = Math.max(scale[s], Math.abs(w[i * cols + j]));
                }
            }
            for (int s = 0; s < scale.length; s++) {
                scale[s] = scale[s] == 0 ? 1f : scale[s] / Fp8.MAX;
            }
            byte[] q = new byte[rows * cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    q[i * cols + j] = Fp8.floatToE4m3(w[i * cols + j] / scale[(i / br) * sc + j / bc]);
                }
            }
            return new Fp8Quantized(q, scale, sr, sc);
        }
    }
}
