package dev.tandem.deepseek.weights;

import dev.tandem.runtime.json.Json;
import dev.tandem.deepseek.config.DeepSeekConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a HuggingFace-layout checkpoint (config.json plus safetensors, sharded one file per layer with an index
 * when asked), e.g. seeded random weights for tests and demos. With F8_E4M3 the config gets a
 * {@code quantization_config} and 2-D weights are stored block-quantized with {@code _scale_inv} tensors.
 */
public final class CheckpointWriter {
    private CheckpointWriter() {
    }

    /**
     * Writes a HuggingFace-style checkpoint directory: {@code config.json} and the layers' tensors.
     *
     * @param layers  the layers to write (others are left out, as a partial checkpoint)
     * @param sharded one shard per layer plus {@code model.safetensors.index.json}; else one {@code model.safetensors}
     * @param dir     the directory to create or overwrite files in
     * @param config  the model config, written as {@code config.json}
     * @param dtype   storage type of the floating weights; F8_E4M3 adds block scales and a {@code quantization_config}
     * @throws java.io.UncheckedIOException if a file cannot be written
     */
    public static void write(Path dir, DeepSeekConfig config, List<LayerWeights> layers, StDType dtype, boolean sharded) {
        DeepSeekConfig c = dtype == StDType.F8_E4M3 && config.fp8BlockSize() == null
                ? config.withFp8BlockSize(new int[]{128, 128}) : config;
        int[] block = c.fp8BlockSize() == null ? new int[]{128, 128} : c.fp8BlockSize();
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), c.toJson(), StandardCharsets.UTF_8);
            if (!sharded) {
                SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
                for (LayerWeights lw : layers) {
                    lw.writeTo(w, dtype, block);
                }
                w.write(dir.resolve("model.safetensors"));
                return;
            }
            Map<String, Object> weightMap = new LinkedHashMap<>();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                String file = String.format("model-%05d-of-%05d.safetensors", i + 1, layers.size());
                SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
                layers.get(i).writeTo(w, dtype, block);
                w.write(dir.resolve(file));
                try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(file))) {
                    for (String n : f.names()) {
                        weightMap.put(n, file);
                        names.add(n);
                    }
                }
            }
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("metadata", Map.of("total_size", (long) names.size()));
            index.put("weight_map", weightMap);
            Files.writeString(dir.resolve(Checkpoint.INDEX), Json.write(index), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + dir, e);
        }
    }
}
