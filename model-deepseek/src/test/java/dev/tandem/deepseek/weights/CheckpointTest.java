package dev.tandem.deepseek.weights;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.FloatFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
    static final DeepSeekConfig C = DeepSeekConfig.preset("tiny-v2lite");

    @TempDir
    Path dir;

    @Test
    void singleFileF32LoadsExactly() {
        LayerWeights w = LayerWeights.random(C, 1, 5);
        CheckpointWriter.write(dir, C, List.of(w), StDType.F32, false);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertThat(ck.config()).isEqualTo(C);
            LayerWeights back = LayerWeights.load(ck, 1, 0, C.nRoutedExperts());
            for (String n : w.names()) {
                assertThat(Arrays.equals(back.get(n), w.get(n))).as(n).isTrue();
            }
        }
    }

    @Test
    void shardedBf16LoadsRoundedValuesAndOnlyRequestedExperts() {
        LayerWeights l0 = LayerWeights.random(C, 0, 5);
        LayerWeights l1 = LayerWeights.random(C, 1, 5);
        CheckpointWriter.write(dir, C, List.of(l0, l1), StDType.BF16, true);
        assertThat(dir.resolve(Checkpoint.INDEX)).exists();
        assertThat(dir.resolve("model-00002-of-00002.safetensors")).exists();
        try (Checkpoint ck = Checkpoint.open(dir)) {
            LayerWeights part = LayerWeights.load(ck, 1, 4, 8);
            assertThat(part.has("mlp.experts.3.up_proj.weight")).isFalse();
            float[] want = l1.get("mlp.experts.5.down_proj.weight");
            float[] got = part.get("mlp.experts.5.down_proj.weight");
            for (int i = 0; i < want.length; i++) {
                assertThat(got[i]).isEqualTo(FloatFormats.roundTo(DType.BF16, want[i]));
            }
        }
    }

    @Test
    void fp8BlockWeightsDequantizeCloseToTheOriginal() {
        DeepSeekConfig v3 = DeepSeekConfig.preset("tiny-v3");
        LayerWeights w = LayerWeights.random(v3, 1, 9, 0, 4);
        CheckpointWriter.write(dir, v3, List.of(w), StDType.F8_E4M3, false);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertThat(ck.config().fp8BlockSize()).containsExactly(128, 128);
            assertThat(ck.tensor("model.layers.1.self_attn.q_b_proj.weight").dtype()).isEqualTo(StDType.F8_E4M3);
            assertThat(ck.tensor("model.layers.1.self_attn.q_b_proj.weight_scale_inv").shape()).containsExactly(3, 3);
            LayerWeights back = LayerWeights.load(ck, 1, 0, 4);
            for (String n : w.names()) {
                float[] a = w.get(n);
                float[] b = back.get(n);
                double amax = 0;
                double err = 0;
                for (int i = 0; i < a.length; i++) {
                    amax = Math.max(amax, Math.abs(a[i]));
                    err = Math.max(err, Math.abs(a[i] - b[i]));
                }
                assertThat(err).as(n).isLessThanOrEqualTo(amax / 16);
            }
            // norms and the correction bias stay exact F32
            assertThat(back.get("mlp.gate.e_score_correction_bias")).containsExactly(w.get("mlp.gate.e_score_correction_bias"));
        }
    }

    @Test
    void missingWrongShapedAndWrongTypedTensorsAreNamed() {
        LayerWeights w = LayerWeights.random(C, 1, 5);
        SafetensorsWriter sw = new SafetensorsWriter();
        for (String n : w.names()) {
            String full = LayerWeights.prefix(1) + n;
            long[] shape = w.shape(n);
            if (n.equals("self_attn.o_proj.weight")) {
                sw.addF32(full, new long[]{shape[1], shape[0]}, w.get(n));
            } else if (n.equals("mlp.gate.weight")) {
                int[] ints = new int[w.get(n).length];
                sw.addI32(full, shape, ints);
            } else if (!n.equals("mlp.experts.2.up_proj.weight")) {
                sw.addF32(full, shape, w.get(n));
            }
        }
        CheckpointWriter.write(dir, C, List.of(), StDType.F32, false);
        sw.write(dir.resolve("model.safetensors"));
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> ck.floats("model.layers.1.self_attn.o_proj.weight", 256, 128))
                    .isInstanceOf(SafetensorsException.class).hasMessageContaining("model.safetensors")
                    .hasMessageContaining("o_proj").hasMessageContaining("does not match expected [256, 128]");
            assertThatThrownBy(() -> ck.floats("model.layers.1.mlp.gate.weight", 8, 256))
                    .hasMessageContaining("mlp.gate.weight").hasMessageContaining("I32");
            assertThatThrownBy(() -> LayerWeights.load(ck, 1, 0, 8))
                    .isInstanceOf(SafetensorsException.class);
            assertThatThrownBy(() -> ck.tensor("model.layers.1.mlp.experts.2.up_proj.weight"))
                    .hasMessageContaining("model.safetensors").hasMessageContaining("experts.2.up_proj").hasMessageContaining("not found");
            assertThatThrownBy(() -> LayerWeights.load(ck, 0, 0, 8)).hasMessageContaining("model.layers.0.");
        }
    }

    @Test
    void brokenIndexesAreReported() throws IOException {
        LayerWeights w = LayerWeights.random(C, 0, 5);
        CheckpointWriter.write(dir, C, List.of(w), StDType.F32, true);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> ck.tensor("model.layers.7.input_layernorm.weight"))
                    .hasMessageContaining(Checkpoint.INDEX).hasMessageContaining("model.layers.7.input_layernorm.weight");
        }
        Files.writeString(dir.resolve(Checkpoint.INDEX), "{\"weight_map\": {\"model.layers.0.input_layernorm.weight\": \"other.safetensors\"}}");
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> ck.tensor("model.layers.0.input_layernorm.weight"))
                    .hasMessageContaining("other.safetensors").hasMessageContaining("not found");
        }
        Files.writeString(dir.resolve(Checkpoint.INDEX), "{\"weight_map\": ");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining(Checkpoint.INDEX).hasMessageContaining("corrupt");
        Files.delete(dir.resolve("config.json"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("config.json");
    }
}
