package dev.tandem.deepseek.weights;

import dev.tandem.runtime.json.Json;
import dev.tandem.deepseek.config.DeepSeekConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A HuggingFace checkpoint directory: {@code config.json} plus either {@code model.safetensors.index.json}
 * (sharded; its {@code weight_map} names the shard of each tensor), a single {@code model.safetensors}, or any
 * {@code *.safetensors} files. Shards are memory-mapped lazily, only when a tensor in them is requested.
 */
public final class Checkpoint implements AutoCloseable {
    /** File name of the shard index in a sharded checkpoint. */
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final DeepSeekConfig config;
    private final Map<String, Path> weightMap;
    private final List<Path> unindexed;
    private final Map<Path, SafetensorsFile> open = new LinkedHashMap<>();

    private Checkpoint(Path dir, DeepSeekConfig config, Map<String, Path> weightMap, List<Path> unindexed) {
        this.dir = dir;
        this.config = config;
        this.weightMap = weightMap;
        this.unindexed = unindexed;
    }

    /**
     * Opens a checkpoint directory: loads its config and finds its shards (mapped later, on first use).
     * @param dir the checkpoint directory
     * @return the checkpoint; close it to unmap its shards
     * @throws SafetensorsException if the directory, its index or every safetensors file is missing, or the index is corrupt
     * @throws dev.tandem.deepseek.config.ConfigException if {@code config.json} is missing or invalid
     * @throws java.io.UncheckedIOException if the directory or index cannot be read
     */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new SafetensorsException(dir, null, "checkpoint directory not found");
        }
        DeepSeekConfig config = DeepSeekConfig.load(dir.resolve("config.json"));
        Path index = dir.resolve(INDEX);
        if (Files.exists(index)) {
            Map<String, Object> json;
            try {
                json = Json.parseObject(Files.readString(index, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + index, e);
            } catch (Json.JsonException e) {
                throw new SafetensorsException(index, null, "corrupt index: " + e.getMessage(), e);
            }
            if (!(json.get("weight_map") instanceof Map<?, ?> wm)) {
                throw new SafetensorsException(index, null, "index has no weight_map object");
            }
            Map<String, Path> map = new TreeMap<>();
            for (var e : wm.entrySet()) {
                if (!(e.getValue() instanceof String file) || file.contains("/") || file.contains("\\")) {
                    throw new SafetensorsException(index, (String) e.getKey(), "weight_map value must be a file name in the directory");
                }
                map.put((String) e.getKey(), dir.resolve(file));
            }
            return new Checkpoint(dir, config, map, List.of());
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            ds.forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        if (files.isEmpty()) {
            throw new SafetensorsException(dir, null, "no " + INDEX + " and no *.safetensors files");
        }
        files.sort(null);
        return new Checkpoint(dir, config, null, files);
    }

    /** {@return the checkpoint directory} */
    public Path directory() {
        return dir;
    }

    /** {@return the model config read from {@code config.json}} */
    public DeepSeekConfig config() {
        return config;
    }

    private synchronized SafetensorsFile file(Path p) {
        SafetensorsFile f = open.get(p);
        if (f == null) {
            f = SafetensorsFile.open(p);
            open.put(p, f);
        }
        return f;
    }

    /**
     * Whether the checkpoint holds {@code name}.
     * @param name a tensor name
     * @return whether it is present
     */
    public boolean contains(String name) {
        if (weightMap != null) {
            return weightMap.containsKey(name);
        }
        for (Path p : unindexed) {
            if (file(p).contains(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The raw tensor; throws naming the checkpoint (or the shard) when absent.
     * @param name the tensor name
     * @return the tensor, valid until this checkpoint is closed
     * @throws SafetensorsException if no shard holds the tensor
     */
    public HostTensor tensor(String name) {
        if (weightMap != null) {
            Path p = weightMap.get(name);
            if (p == null) {
                throw new SafetensorsException(dir.resolve(INDEX), name, "tensor missing from weight_map");
            }
            SafetensorsFile f = file(p);
            if (!f.contains(name)) {
                throw new SafetensorsException(p, name, "the index places this tensor in this shard but it is not there");
            }
            return f.tensor(name);
        }
        for (Path p : unindexed) {
            SafetensorsFile f = file(p);
            if (f.contains(name)) {
                return f.tensor(name);
            }
        }
        throw new SafetensorsException(unindexed.size() == 1 ? unindexed.get(0) : dir, name, "tensor not found");
    }

    /**
     * A floating tensor of exactly {@code shape}, as F32. F8_E4M3 weights are dequantized with their
     * {@code <name>_scale_inv} block scales ({@code quantization_config.weight_block_size}, default 128x128).
     * @param name  the tensor name
     * @param shape the required dimensions
     * @return the values as F32, row-major
     * @throws SafetensorsException if the tensor is absent, has another shape or a non-floating dtype
     */
    public float[] floats(String name, long... shape) {
        HostTensor t = tensor(name).requireShape(shape);
        switch (t.dtype()) {
            case F32, BF16, F16 -> {
                return t.toFloats();
            }
            case F8_E4M3 -> {
                if (shape.length != 2) {
                    throw new SafetensorsException(t.file(), name, "F8_E4M3 is supported for 2-D weights only");
                }
                int[] block = config.fp8BlockSize() == null ? new int[]{128, 128} : config.fp8BlockSize();
                int rows = Math.toIntExact(shape[0]);
                int cols = Math.toIntExact(shape[1]);
                String scaleName = name + "_scale_inv";
                if (!contains(scaleName)) {
                    throw new SafetensorsException(t.file(), name, "F8_E4M3 weight has no block scale tensor '" + scaleName + "'");
                }
                HostTensor s = tensor(scaleName).requireShape((rows + block[0] - 1) / block[0], (cols + block[1] - 1) / block[1]);
                if (s.dtype() != StDType.F32 && s.dtype() != StDType.BF16 && s.dtype() != StDType.F16) {
                    throw new SafetensorsException(s.file(), scaleName, "block scales must be F32, BF16 or F16, got " + s.dtype());
                }
                return Fp8.dequantize(t.toBytes(), rows, cols, s.toFloats(), block[0], block[1]);
            }
            default -> throw new SafetensorsException(t.file(), name, "dtype " + t.dtype()
                    + " is not a supported weight dtype (F32, BF16, F16, F8_E4M3); shape " + Arrays.toString(shape));
        }
    }

    @Override
    public synchronized void close() {
        for (SafetensorsFile f : open.values()) {
            f.close();
        }
        open.clear();
    }
}
