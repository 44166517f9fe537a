package dev.tandem.deepseek.config;

import dev.tandem.runtime.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The decoder-layer part of a DeepSeek V2 / V2-Lite / V3 (R1) HuggingFace {@code config.json}. The compact
 * constructor validates every field and the consistency between them, so a config that exists is usable.
 *
 * @param modelType          {@code deepseek_v3} or {@code deepseek_v2}
 * @param qLoraRank          0 when the model has a plain {@code q_proj} (V2-Lite, {@code q_lora_rank: null})
 * @param yarn               YaRN rope scaling, or null for plain RoPE
 * @param fp8BlockSize       {@code [rows, cols]} of FP8 weight-scale blocks from {@code quantization_config}, or null
 * @param hiddenSize         model width {@code d} ({@code hidden_size})
 * @param numHiddenLayers    decoder layers ({@code num_hidden_layers})
 * @param numAttentionHeads  attention heads per layer
 * @param kvLoraRank         rank of the compressed MLA key/value latent ({@code kv_lora_rank})
 * @param qkNopeHeadDim      per-head query/key channels without rope
 * @param qkRopeHeadDim      per-head query/key channels with rope; even
 * @param vHeadDim           per-head value channels
 * @param intermediateSize   FFN width of the dense (non-MoE) layers
 * @param moeIntermediateSize FFN width of each routed and shared expert
 * @param nRoutedExperts     routed experts per MoE layer; divisible by {@code nGroup}
 * @param nSharedExperts     always-active shared experts per MoE layer (0 or more)
 * @param numExpertsPerTok   routed experts each token selects (top-k)
 * @param nGroup             expert groups for group-limited routing
 * @param topkGroup          groups a token may select experts from; at most {@code nGroup}
 * @param topkMethod         expert selection method
 * @param scoringFunc        router score function; sigmoid for {@code noaux_tc}, softmax otherwise
 * @param normTopkProb       whether the selected experts' weights are renormalised to sum to 1
 * @param routedScalingFactor positive factor applied to the routed experts' weights
 * @param firstKDenseReplace number of leading layers that use a dense FFN instead of MoE
 * @param moeLayerFreq       every how many layers (from {@code firstKDenseReplace}) a layer is MoE
 * @param rmsNormEps         positive RMSNorm epsilon
 * @param ropeTheta          RoPE base, greater than 1
 * @param maxPositionEmbeddings maximum sequence length in positions
 * @param vocabSize          vocabulary size, or 0 when unknown
 */
public record DeepSeekConfig(String modelType, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
                             int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim,
                             int intermediateSize, int moeIntermediateSize, int nRoutedExperts, int nSharedExperts,
                             int numExpertsPerTok, int nGroup, int topkGroup, TopkMethod topkMethod,
                             ScoringFunc scoringFunc, boolean normTopkProb, double routedScalingFactor,
                             int firstKDenseReplace, int moeLayerFreq, double rmsNormEps, double ropeTheta,
                             YarnScaling yarn, int maxPositionEmbeddings, int vocabSize, int[] fp8BlockSize) {

    /**
     * Validates the fields; a blank {@code modelType} becomes {@code deepseek_v3}.
     *
     * @throws ConfigException if a field is out of range or the fields are inconsistent
     */
    public DeepSeekConfig {
        if (modelType == null || modelType.isBlank()) {
            modelType = "deepseek_v3";
        }
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        if (qLoraRank < 0) {
            throw new ConfigException("q_lora_rank must be positive or null, got " + qLoraRank);
        }
        positive("kv_lora_rank", kvLoraRank);
        positive("qk_nope_head_dim", qkNopeHeadDim);
        positive("qk_rope_head_dim", qkRopeHeadDim);
        positive("v_head_dim", vHeadDim);
        if (qkRopeHeadDim % 2 != 0) {
            throw new ConfigException("qk_rope_head_dim must be even (rope rotates channel pairs), got " + qkRopeHeadDim);
        }
        positive("intermediate_size", intermediateSize);
        positive("moe_intermediate_size", moeIntermediateSize);
        positive("n_routed_experts", nRoutedExperts);
        if (nSharedExperts < 0) {
            throw new ConfigException("n_shared_experts must not be negative, got " + nSharedExperts);
        }
        positive("num_experts_per_tok", numExpertsPerTok);
        positive("n_group", nGroup);
        positive("topk_group", topkGroup);
        if (numExpertsPerTok > nRoutedExperts) {
            throw new ConfigException("num_experts_per_tok (" + numExpertsPerTok + ") exceeds n_routed_experts ("
                    + nRoutedExperts + ")");
        }
        if (nRoutedExperts % nGroup != 0) {
            throw new ConfigException("n_routed_experts (" + nRoutedExperts + ") must be divisible by n_group ("
                    + nGroup + ")");
        }
        if (topkGroup > nGroup) {
            throw new ConfigException("topk_group (" + topkGroup + ") exceeds n_group (" + nGroup + ")");
        }
        if (topkMethod == null || scoringFunc == null) {
            throw new ConfigException("topk_method and scoring_func are required");
        }
        int perGroup = nRoutedExperts / nGroup;
        if (topkMethod != TopkMethod.GREEDY && numExpertsPerTok > topkGroup * perGroup) {
            throw new ConfigException("num_experts_per_tok (" + numExpertsPerTok + ") exceeds the experts in the "
                    + topkGroup + " selected groups (" + topkGroup * perGroup + ")");
        }
        if (topkMethod == TopkMethod.NOAUX_TC) {
            if (scoringFunc != ScoringFunc.SIGMOID) {
                throw new ConfigException("topk_method noaux_tc needs scoring_func sigmoid, got " + scoringFunc.jsonName());
            }
            if (perGroup < 2 && nGroup > 1) {
                throw new ConfigException("topk_method noaux_tc scores a group by its top-2 experts, so each of the "
                        + nGroup + " groups needs at least 2 experts, got " + perGroup);
            }
        } else if (scoringFunc != ScoringFunc.SOFTMAX) {
            throw new ConfigException("topk_method " + topkMethod.jsonName() + " needs scoring_func softmax, got "
                    + scoringFunc.jsonName());
        }
        if (!(routedScalingFactor > 0) || Double.isInfinite(routedScalingFactor)) {
            throw new ConfigException("routed_scaling_factor must be positive, got " + routedScalingFactor);
        }
        if (firstKDenseReplace < 0) {
            throw new ConfigException("first_k_dense_replace must not be negative, got " + firstKDenseReplace);
        }
        positive("moe_layer_freq", moeLayerFreq);
        if (!(rmsNormEps > 0)) {
            throw new ConfigException("rms_norm_eps must be positive, got " + rmsNormEps);
        }
        if (!(ropeTheta > 1)) {
            throw new ConfigException("rope_theta must be > 1, got " + ropeTheta);
        }
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (vocabSize < 0) {
            throw new ConfigException("vocab_size must not be negative, got " + vocabSize);
        }
        if (fp8BlockSize != null) {
            if (fp8BlockSize.length != 2 || fp8BlockSize[0] <= 0 || fp8BlockSize[1] <= 0) {
                throw new ConfigException("quantization_config.weight_block_size must be two positive integers");
            }
            fp8BlockSize = fp8BlockSize.clone();
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new ConfigException(field + " must be positive, got " + value);
        }
    }

    // ---- derived sizes ----

    /** {@return whether queries go through a low-rank {@code q_a/q_b} projection ({@code q_lora_rank > 0})} */
    public boolean hasQLora() {
        return qLoraRank > 0;
    }

    /** {@return the per-head query/key width: {@code qk_nope_head_dim + qk_rope_head_dim}} */
    public int qkHeadDim() {
        return qkNopeHeadDim + qkRopeHeadDim;
    }

    /**
     * True for MoE layers: {@code i >= first_k_dense_replace && i % moe_layer_freq == 0}.
     * @param layer zero-based layer index
     * @return whether that layer is MoE
     */
    public boolean isMoeLayer(int layer) {
        return layer >= firstKDenseReplace && layer % moeLayerFreq == 0;
    }

    /** {@return routed experts in each routing group: {@code n_routed_experts / n_group}} */
    public int expertsPerGroup() {
        return nRoutedExperts / nGroup;
    }

    /**
     * The attention softmax scale: {@code d_qk^-1/2}, times {@code mscale^2} under YaRN with factor > 1.
     * @return the scale multiplied into {@code q . k} before the softmax
     */
    public double softmaxScale() {
        double s = 1.0 / Math.sqrt(qkHeadDim());
        return yarn == null ? s : s * yarn.softmaxScaleCorrection();
    }

    /**
     * Rope inverse frequencies for the {@code qk_rope_head_dim} channels (YaRN-adjusted when configured).
     * @return {@code qk_rope_head_dim / 2} inverse frequencies, in radians per position
     */
    public double[] ropeInverseFrequencies() {
        if (yarn != null) {
            return yarn.inverseFrequencies(qkRopeHeadDim, ropeTheta);
        }
        double[] inv = new double[qkRopeHeadDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = Math.pow(ropeTheta, -2.0 * i / qkRopeHeadDim);
        }
        return inv;
    }

    /**
     * cos/sin magnitude factor (1.0 for every released model).
     * @return the factor multiplying the rope cos/sin tables
     */
    public double ropeAttentionFactor() {
        return yarn == null ? 1.0 : yarn.attentionFactor();
    }

    /** {@return a copy of the FP8 {@code [rows, cols]} weight-scale block size, or null when not FP8} */
    @Override
    public int[] fp8BlockSize() {
        return fp8BlockSize == null ? null : fp8BlockSize.clone();
    }

    /**
     * A copy of this config with a different layer count (for truncated test models).
     * @param layers the new {@code num_hidden_layers}, positive
     * @return the new config
     */
    public DeepSeekConfig withNumHiddenLayers(int layers) {
        return new DeepSeekConfig(modelType, hiddenSize, layers, numAttentionHeads, qLoraRank, kvLoraRank,
                qkNopeHeadDim, qkRopeHeadDim, vHeadDim, intermediateSize, moeIntermediateSize, nRoutedExperts,
                nSharedExperts, numExpertsPerTok, nGroup, topkGroup, topkMethod, scoringFunc, normTopkProb,
                routedScalingFactor, firstKDenseReplace, moeLayerFreq, rmsNormEps, ropeTheta, yarn,
                maxPositionEmbeddings, vocabSize, fp8BlockSize);
    }

    /**
     * The layers {@code [first, end)} of this model as a model of their own: a copy with {@code end - first} layers
     * whose layer {@code i} is of the kind (dense or MoE) of this model's layer {@code first + i}, so that a
     * simulation of "the first layers" of the slice costs exactly the layers an engine runs.
     *
     * @param first first layer (zero-based)
     * @param end   end layer (exclusive)
     * @return the slice
     * @throws ConfigException if the range is empty or outside the model, or {@code first} is not a multiple of
     *                         {@code moe_layer_freq} (the slice's MoE layers could not keep their positions)
     */
    public DeepSeekConfig layerSlice(int first, int end) {
        if (first < 0 || end <= first || end > numHiddenLayers) {
            throw new ConfigException("layers " + first + ".." + end + " are not a non-empty range within the model's "
                    + numHiddenLayers + " layers");
        }
        if (first % moeLayerFreq != 0) {
            throw new ConfigException("a slice from layer " + first + " cannot keep the MoE layers of moe_layer_freq "
                    + moeLayerFreq + " in place; start it at a multiple of " + moeLayerFreq);
        }
        return new DeepSeekConfig(modelType, hiddenSize, end - first, numAttentionHeads, qLoraRank, kvLoraRank,
                qkNopeHeadDim, qkRopeHeadDim, vHeadDim, intermediateSize, moeIntermediateSize, nRoutedExperts,
                nSharedExperts, numExpertsPerTok, nGroup, topkGroup, topkMethod, scoringFunc, normTopkProb,
                routedScalingFactor, Math.max(0, firstKDenseReplace - first), moeLayerFreq, rmsNormEps, ropeTheta, yarn,
                maxPositionEmbeddings, vocabSize, fp8BlockSize);
    }

    /**
     * A copy of this config with a different FP8 block size.
     * @param block {@code [rows, cols]} of FP8 weight-scale blocks, or null for no FP8
     * @return the new config
     */
    public DeepSeekConfig withFp8BlockSize(int[] block) {
        return new DeepSeekConfig(modelType, hiddenSize, numHiddenLayers, numAttentionHeads, qLoraRank, kvLoraRank,
                qkNopeHeadDim, qkRopeHeadDim, vHeadDim, intermediateSize, moeIntermediateSize, nRoutedExperts,
                nSharedExperts, numExpertsPerTok, nGroup, topkGroup, topkMethod, scoringFunc, normTopkProb,
                routedScalingFactor, firstKDenseReplace, moeLayerFreq, rmsNormEps, ropeTheta, yarn,
                maxPositionEmbeddings, vocabSize, block);
    }

    // ---- config.json ----

    /**
     * Reads and parses a HuggingFace {@code config.json} file.
     * @param configJson the file
     * @return the config
     * @throws ConfigException if the file is missing, is not valid JSON or holds an invalid config
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public static DeepSeekConfig load(Path configJson) {
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file not found: " + configJson);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configJson, e);
        }
        try {
            return fromJson(text);
        } catch (ConfigException | Json.JsonException e) {
            throw new ConfigException(configJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses the text of a HuggingFace {@code config.json}.
     * @param json the JSON text
     * @return the config
     * @throws ConfigException if a field is invalid
     */
    public static DeepSeekConfig fromJson(String json) {
        return fromMap(Json.parseObject(json));
    }

    /**
     * Reads HF field names; defaults follow the HF config classes of the model type.
     * @param m the parsed {@code config.json} object
     * @return the config
     * @throws ConfigException if a field is invalid or unsupported
     */
    public static DeepSeekConfig fromMap(Map<String, Object> m) {
        String modelType = str(m, "model_type", "deepseek_v3");
        boolean v3 = !modelType.toLowerCase(Locale.ROOT).contains("v2");
        Object act = m.get("hidden_act");
        if (act != null && !"silu".equals(act)) {
            throw new ConfigException("hidden_act must be silu, got " + act);
        }
        if (Boolean.TRUE.equals(m.get("attention_bias"))) {
            throw new ConfigException("attention_bias = true is not supported (DeepSeek has no attention biases)");
        }
        int heads = req(m, "num_attention_heads");
        Object kvHeads = m.get("num_key_value_heads");
        if (kvHeads != null && intOf("num_key_value_heads", kvHeads) != heads) {
            throw new ConfigException("num_key_value_heads (" + kvHeads + ") must equal num_attention_heads ("
                    + heads + ") for MLA");
        }
        YarnScaling yarn = null;
        Object rs = m.get("rope_scaling");
        if (rs != null) {
            if (!(rs instanceof Map<?, ?> rsm)) {
                throw new ConfigException("rope_scaling must be an object or null");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) rsm;
            String type = str(r, "type", str(r, "rope_type", null));
            if (type == null) {
                throw new ConfigException("rope_scaling needs a type (or rope_type)");
            }
            if (!"yarn".equals(type)) {
                throw new ConfigException("unsupported rope_scaling type \"" + type + "\"; only yarn is supported");
            }
            if (!r.containsKey("factor")) {
                throw new ConfigException("rope_scaling.factor is missing");
            }
            yarn = new YarnScaling(dbl(r, "factor", 1), opt(r, "original_max_position_embeddings", 4096),
                    dbl(r, "beta_fast", 32), dbl(r, "beta_slow", 1), dbl(r, "mscale", 1), dbl(r, "mscale_all_dim", 0));
        }
        int[] block = null;
        Object qc = m.get("quantization_config");
        if (qc instanceof Map<?, ?> q) {
            Object method = q.get("quant_method");
            if (method != null && !"fp8".equals(method)) {
                throw new ConfigException("unsupported quantization_config.quant_method \"" + method + "\"; only fp8 is supported");
            }
            Object fmt = q.get("fmt");
            if (fmt != null && !"e4m3".equals(fmt)) {
                throw new ConfigException("unsupported fp8 format \"" + fmt + "\"; only e4m3 is supported");
            }
            Object wbs = q.get("weight_block_size");
            if (wbs instanceof List<?> l && l.size() == 2) {
                block = new int[]{intOf("weight_block_size[0]", l.get(0)), intOf("weight_block_size[1]", l.get(1))};
            } else {
                block = new int[]{128, 128};
            }
        } else if (qc != null) {
            throw new ConfigException("quantization_config must be an object");
        }
        Object qLora = m.get("q_lora_rank");
        return new DeepSeekConfig(modelType, req(m, "hidden_size"), req(m, "num_hidden_layers"), heads,
                qLora == null ? 0 : intOf("q_lora_rank", qLora), req(m, "kv_lora_rank"),
                req(m, "qk_nope_head_dim"), req(m, "qk_rope_head_dim"), req(m, "v_head_dim"),
                req(m, "intermediate_size"), req(m, "moe_intermediate_size"), req(m, "n_routed_experts"),
                opt(m, "n_shared_experts", 0), req(m, "num_experts_per_tok"), opt(m, "n_group", 1),
                opt(m, "topk_group", 1),
                TopkMethod.fromJson(str(m, "topk_method", v3 ? "noaux_tc" : "greedy")),
                ScoringFunc.fromJson(str(m, "scoring_func", v3 ? "sigmoid" : "softmax")),
                bool(m, "norm_topk_prob", v3), dbl(m, "routed_scaling_factor", 1.0),
                opt(m, "first_k_dense_replace", 0), opt(m, "moe_layer_freq", 1), dbl(m, "rms_norm_eps", 1e-6),
                dbl(m, "rope_theta", 10000), yarn, opt(m, "max_position_embeddings", 163840),
                opt(m, "vocab_size", 0), block);
    }

    /**
     * HF-style config.json for this config.
     * @return the JSON text
     */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(modelType.contains("v2") ? "DeepseekV2ForCausalLM" : "DeepseekV3ForCausalLM"));
        m.put("model_type", modelType);
        m.put("hidden_size", hiddenSize);
        m.put("num_hidden_layers", numHiddenLayers);
        m.put("num_attention_heads", numAttentionHeads);
        m.put("num_key_value_heads", numAttentionHeads);
        m.put("q_lora_rank", hasQLora() ? qLoraRank : null);
        m.put("kv_lora_rank", kvLoraRank);
        m.put("qk_nope_head_dim", qkNopeHeadDim);
        m.put("qk_rope_head_dim", qkRopeHeadDim);
        m.put("v_head_dim", vHeadDim);
        m.put("intermediate_size", intermediateSize);
        m.put("moe_intermediate_size", moeIntermediateSize);
        m.put("n_routed_experts", nRoutedExperts);
        m.put("n_shared_experts", nSharedExperts);
        m.put("num_experts_per_tok", numExpertsPerTok);
        m.put("n_group", nGroup);
        m.put("topk_group", topkGroup);
        m.put("topk_method", topkMethod.jsonName());
        m.put("scoring_func", scoringFunc.jsonName());
        m.put("norm_topk_prob", normTopkProb);
        m.put("routed_scaling_factor", routedScalingFactor);
        m.put("first_k_dense_replace", firstKDenseReplace);
        m.put("moe_layer_freq", moeLayerFreq);
        m.put("rms_norm_eps", rmsNormEps);
        m.put("rope_theta", ropeTheta);
        if (yarn != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("type", "yarn");
            r.put("factor", yarn.factor());
            r.put("original_max_position_embeddings", yarn.originalMaxPositionEmbeddings());
            r.put("beta_fast", yarn.betaFast());
            r.put("beta_slow", yarn.betaSlow());
            r.put("mscale", yarn.mscale());
            r.put("mscale_all_dim", yarn.mscaleAllDim());
            m.put("rope_scaling", r);
        } else {
            m.put("rope_scaling", null);
        }
        m.put("max_position_embeddings", maxPositionEmbeddings);
        m.put("vocab_size", vocabSize);
        m.put("hidden_act", "silu");
        m.put("attention_bias", false);
        if (fp8BlockSize != null) {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("quant_method", "fp8");
            q.put("fmt", "e4m3");
            q.put("activation_scheme", "dynamic");
            q.put("weight_block_size", List.of(fp8BlockSize[0], fp8BlockSize[1]));
            m.put("quantization_config", q);
        }
        m.put("torch_dtype", "bfloat16");
        return Json.write(m);
    }

    // ---- presets (deepseek.md sections 1 and 7) ----

    /** {@return the names {@link #preset(String)} accepts} */
    public static List<String> presetNames() {
        return List.of("deepseek-v3", "deepseek-v2", "deepseek-v2-lite", "tiny-v3", "tiny-v2lite", "small-v2");
    }

    /**
     * A built-in config by name (case-insensitive), see {@link #presetNames()}.
     * @param name the preset name
     * @return the config
     */
    public static DeepSeekConfig preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "deepseek-v3", "deepseek-r1" -> new DeepSeekConfig("deepseek_v3", 7168, 61, 128, 1536, 512, 128, 64, 128,
                    18432, 2048, 256, 1, 8, 8, 4, TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, true, 2.5, 3, 1, 1e-6,
                    10000, YarnScaling.deepseek(1.0, 1.0), 163840, 129280, new int[]{128, 128});
            case "deepseek-v2" -> new DeepSeekConfig("deepseek_v2", 5120, 60, 128, 1536, 512, 128, 64, 128, 12288, 1536,
                    160, 2, 6, 8, 3, TopkMethod.GROUP_LIMITED_GREEDY, ScoringFunc.SOFTMAX, false, 16.0, 1, 1, 1e-6,
                    10000, YarnScaling.deepseek(0.707, 0.707), 163840, 102400, null);
            case "deepseek-v2-lite" -> new DeepSeekConfig("deepseek_v2", 2048, 27, 16, 0, 512, 128, 64, 128, 10944, 1408,
                    64, 2, 6, 1, 1, TopkMethod.GREEDY, ScoringFunc.SOFTMAX, false, 1.0, 1, 1, 1e-6, 10000,
                    YarnScaling.deepseek(0.707, 0.707), 163840, 102400, null);
            case "tiny-v3" -> new DeepSeekConfig("deepseek_v3", 512, 3, 8, 384, 128, 32, 16, 32, 1344, 128, 16, 1, 4, 4, 2,
                    TopkMethod.NOAUX_TC, ScoringFunc.SIGMOID, true, 2.5, 1, 1, 1e-6, 10000,
                    YarnScaling.deepseek(1.0, 1.0), 163840, 0, null);
            case "tiny-v2lite" -> new DeepSeekConfig("deepseek_v2", 256, 3, 4, 0, 128, 32, 16, 32, 1368, 176, 8, 2, 2, 1, 1,
                    TopkMethod.GREEDY, ScoringFunc.SOFTMAX, false, 1.0, 1, 1, 1e-6, 10000,
                    YarnScaling.deepseek(0.707, 0.707), 163840, 0, null);
            case "small-v2" -> new DeepSeekConfig("deepseek_v2", 768, 2, 12, 384, 128, 32, 16, 32, 1856, 224, 16, 2, 3, 4, 2,
                    TopkMethod.GROUP_LIMITED_GREEDY, ScoringFunc.SOFTMAX, false, 16.0, 1, 1, 1e-6, 10000,
                    YarnScaling.deepseek(0.707, 0.707), 163840, 0, null);
            default -> throw new ConfigException("unknown preset \"" + name + "\"; known presets: "
                    + String.join(", ", presetNames()));
        };
    }

    // ---- field helpers ----

    private static int req(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new ConfigException("config.json is missing required field " + key);
        }
        return intOf(key, v);
    }

    private static int opt(Map<String, Object> m, String key, int dflt) {
        Object v = m.get(key);
        return v == null ? dflt : intOf(key, v);
    }

    private static int intOf(String key, Object v) {
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return (int) (long) l;
        }
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < Integer.MAX_VALUE) {
            return (int) (double) d;
        }
        throw new ConfigException(key + " must be an integer, got " + Json.typeName(v) + " " + v);
    }

    private static double dbl(Map<String, Object> m, String key, double dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new ConfigException(key + " must be a number, got " + Json.typeName(v) + " " + v);
    }

    private static boolean bool(Map<String, Object> m, String key, boolean dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ConfigException(key + " must be true or false, got " + Json.typeName(v) + " " + v);
    }

    private static String str(Map<String, Object> m, String key, String dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new ConfigException(key + " must be a string, got " + Json.typeName(v) + " " + v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeepSeekConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add(modelType);
        parts.add("d=" + hiddenSize);
        parts.add("layers=" + numHiddenLayers);
        parts.add("H=" + numAttentionHeads);
        parts.add("E=" + nRoutedExperts + "/k=" + numExpertsPerTok);
        parts.add(topkMethod.jsonName());
        return "DeepSeekConfig[" + String.join(" ", parts) + "]";
    }
}
