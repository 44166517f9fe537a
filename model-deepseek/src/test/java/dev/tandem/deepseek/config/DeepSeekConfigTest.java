package dev.tandem.deepseek.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DeepSeekConfigTest {
    /** The V3/R1 HF config.json fields (values from deepseek.md section 1). */
    static final String V3_JSON = """
            {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "hidden_size": 7168,
             "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128, "q_lora_rank": 1536,
             "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
             "intermediate_size": 18432, "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1,
             "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "topk_method": "noaux_tc", "scoring_func": "sigmoid",
             "norm_topk_prob": true, "routed_scaling_factor": 2.5, "first_k_dense_replace": 3, "moe_layer_freq": 1,
             "rms_norm_eps": 1e-06, "rope_theta": 10000, "max_position_embeddings": 163840, "vocab_size": 129280,
             "hidden_act": "silu", "attention_bias": false, "tie_word_embeddings": false, "num_nextn_predict_layers": 1,
             "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
                              "original_max_position_embeddings": 4096, "type": "yarn"},
             "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                     "weight_block_size": [128, 128]},
             "torch_dtype": "bfloat16", "bos_token_id": 0, "eos_token_id": 1}
            """;

    static final String V2_LITE_JSON = """
            {"model_type": "deepseek_v2", "hidden_size": 2048, "num_hidden_layers": 27, "num_attention_heads": 16,
             "num_key_value_heads": 16, "q_lora_rank": null, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
             "qk_rope_head_dim": 64, "v_head_dim": 128, "intermediate_size": 10944, "moe_intermediate_size": 1408,
             "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6, "n_group": 1, "topk_group": 1,
             "topk_method": "greedy", "scoring_func": "softmax", "norm_topk_prob": false, "routed_scaling_factor": 1.0,
             "first_k_dense_replace": 1, "moe_layer_freq": 1, "rms_norm_eps": 1e-06, "rope_theta": 10000,
             "aux_loss_alpha": 0.001, "seq_aux": true, "max_position_embeddings": 163840, "vocab_size": 102400,
             "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707, "mscale_all_dim": 0.707,
                              "original_max_position_embeddings": 4096, "type": "yarn"}}
            """;

    @Test
    void parsesV3AndEqualsPreset() {
        DeepSeekConfig c = DeepSeekConfig.fromJson(V3_JSON);
        assertThat(c).isEqualTo(DeepSeekConfig.preset("deepseek-v3"));
        assertThat(c.qkHeadDim()).isEqualTo(192);
        assertThat(c.fp8BlockSize()).containsExactly(128, 128);
        assertThat(c.isMoeLayer(2)).isFalse();
        assertThat(c.isMoeLayer(3)).isTrue();
        assertThat(c.softmaxScale()).isCloseTo(0.13523378, within(1e-7));
        assertThat(c.ropeAttentionFactor()).isEqualTo(1.0);
    }

    @Test
    void parsesV2LiteAndEqualsPreset() {
        DeepSeekConfig c = DeepSeekConfig.fromJson(V2_LITE_JSON);
        assertThat(c).isEqualTo(DeepSeekConfig.preset("deepseek-v2-lite"));
        assertThat(c.hasQLora()).isFalse();
        assertThat(c.topkMethod()).isEqualTo(TopkMethod.GREEDY);
        assertThat(c.softmaxScale()).isCloseTo(0.11472139, within(1e-7));
    }

    @Test
    void presetsRoundTripThroughJson() {
        for (String name : DeepSeekConfig.presetNames()) {
            DeepSeekConfig c = DeepSeekConfig.preset(name);
            assertThat(DeepSeekConfig.fromJson(c.toJson())).as(name).isEqualTo(c);
        }
        assertThat(DeepSeekConfig.preset("deepseek-v2").softmaxScale()).isCloseTo(0.11472139, within(1e-7));
    }

    @Test
    void yarnSpotValuesMatchTheReference() {
        double[] f = DeepSeekConfig.preset("deepseek-v3").ropeInverseFrequencies();
        assertThat(f).hasSize(32);
        double[][] want = {{0, 1}, {1, 0.7498942}, {2, 0.5623413}, {3, 0.4216965}, {8, 0.1}, {9, 0.07498942},
                {10, 0.05623413}, {11, 0.03900693}, {29, 5.928434e-6}, {30, 4.445699e-6}, {31, 3.333804e-6}};
        for (double[] w : want) {
            assertThat(f[(int) w[0]]).as("inv_freq[%d]", (int) w[0]).isCloseTo(w[1], within(w[1] * 1e-6));
        }
        // the tiny presets keep extrapolated (i <= 2), ramped and interpolated (i >= 6) bands
        double[] t = DeepSeekConfig.preset("tiny-v3").ropeInverseFrequencies();
        assertThat(t).hasSize(8);
        assertThat(t[2]).isCloseTo(Math.pow(10000, -4.0 / 16), within(1e-12));
        assertThat(t[7]).isCloseTo(Math.pow(10000, -14.0 / 16) / 40, within(1e-12));
        assertThat(t[4]).isStrictlyBetween(Math.pow(10000, -8.0 / 16) / 40, Math.pow(10000, -8.0 / 16));
        assertThat(YarnScaling.getMscale(40, 1.0)).isCloseTo(1.3688879, within(1e-7));
    }

    static Stream<String[]> invalid() {
        return Stream.of(
                new String[]{"\"hidden_size\": 7168", "\"hidden_size\": 0", "hidden_size must be positive"},
                new String[]{"\"num_key_value_heads\": 128", "\"num_key_value_heads\": 1", "num_key_value_heads"},
                new String[]{"\"qk_rope_head_dim\": 64", "\"qk_rope_head_dim\": 63", "qk_rope_head_dim must be even"},
                new String[]{"\"n_group\": 8", "\"n_group\": 7", "divisible by n_group"},
                new String[]{"\"topk_group\": 4", "\"topk_group\": 9", "topk_group (9) exceeds n_group"},
                new String[]{"\"num_experts_per_tok\": 8", "\"num_experts_per_tok\": 300", "exceeds n_routed_experts"},
                new String[]{"\"n_group\": 8, \"topk_group\": 4", "\"n_group\": 128, \"topk_group\": 2", "exceeds the experts in the 2 selected groups"},
                new String[]{"\"scoring_func\": \"sigmoid\"", "\"scoring_func\": \"softmax\"", "noaux_tc needs scoring_func sigmoid"},
                new String[]{"\"topk_method\": \"noaux_tc\"", "\"topk_method\": \"magic\"", "unsupported topk_method"},
                new String[]{"\"type\": \"yarn\"", "\"type\": \"dynamic\"", "only yarn"},
                new String[]{"\"factor\": 40", "\"factor\": 0.5", "rope_scaling.factor"},
                new String[]{"\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act must be silu"},
                new String[]{"\"attention_bias\": false", "\"attention_bias\": true", "attention_bias"},
                new String[]{"\"kv_lora_rank\": 512,", "", "missing required field kv_lora_rank"},
                new String[]{"\"hidden_size\": 7168", "\"hidden_size\": \"big\"", "hidden_size must be an integer"},
                new String[]{"\"quant_method\": \"fp8\"", "\"quant_method\": \"awq\"", "only fp8"},
                new String[]{"\"routed_scaling_factor\": 2.5", "\"routed_scaling_factor\": -1", "routed_scaling_factor"});
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("invalid")
    void rejectsInconsistentConfigs(String from, String to, String message) {
        assertThat(V3_JSON).contains(from);
        assertThatThrownBy(() -> DeepSeekConfig.fromJson(V3_JSON.replace(from, to)))
                .isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @Test
    void unknownPresetListsTheKnownOnes() {
        assertThatThrownBy(() -> DeepSeekConfig.preset("gpt")).hasMessageContaining("tiny-v3").hasMessageContaining("small-v2");
    }

    @Test
    void missingFileIsNamed(@org.junit.jupiter.api.io.TempDir Path dir) {
        assertThatThrownBy(() -> DeepSeekConfig.load(dir.resolve("config.json")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("config.json");
    }
}
