package dev.tandem.deepseek.weights;

import dev.tandem.runtime.json.Json;
import dev.tandem.runtime.FloatFormats;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds a {@code .safetensors} file: add tensors, then {@link #write(Path)} (atomically, via a temp file). */
public final class SafetensorsWriter {
    private record Item(String name, StDType dtype, long[] shape, byte[] bytes) {
    }

    private final List<Item> items = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** An empty file under construction. */
    public SafetensorsWriter() {
    }

    /**
     * Adds a {@code __metadata__} entry to the header.
     * @param key   the entry name
     * @param value the entry value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds raw little-endian bytes of the given dtype and shape.
     * @param name  the tensor name, unique in the file
     * @param dtype the element type
     * @param shape the dimensions, none negative
     * @param bytes exactly {@code numel * dtype.byteSize()} bytes
     * @return this writer
     * @throws IllegalArgumentException if the byte count does not match, a dimension is negative or the name is taken
     */
    public SafetensorsWriter add(String name, StDType dtype, long[] shape, byte[] bytes) {
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension for " + name);
            }
            numel *= d;
        }
        if (numel * dtype.byteSize() != bytes.length) {
            throw new IllegalArgumentException(name + ": " + bytes.length + " bytes do not match " + dtype + " "
                    + Arrays.toString(shape));
        }
        for (Item i : items) {
            if (i.name.equals(name)) {
                throw new IllegalArgumentException("duplicate tensor name " + name);
            }
        }
        items.add(new Item(name, dtype, shape.clone(), bytes));
        return this;
    }

    /**
     * Adds float values stored as {@code dtype} (F32, BF16, F16 or F8_E4M3, rounded to nearest even).
     * @param name   the tensor name, unique in the file
     * @param dtype  the element type to store
     * @param shape  the dimensions
     * @param values the values, row-major
     * @return this writer
     * @throws IllegalArgumentException if {@code dtype} is not floating or the sizes do not match
     */
    public SafetensorsWriter addFloats(String name, StDType dtype, long[] shape, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> buf.putFloat(v);
                case F64 -> buf.putDouble(v);
                case BF16 -> buf.putShort(FloatFormats.floatToBf16(v));
                case F16 -> buf.putShort(FloatFormats.floatToF16(v));
                case F8_E4M3 -> buf.put(Fp8.floatToE4m3(v));
                default -> throw new IllegalArgumentException("addFloats needs a floating dtype, got " + dtype);
            }
        }
        return add(name, dtype, shape, buf.array());
    }

    /**
     * Adds float values stored as F32.
     * @param name   the tensor name, unique in the file
     * @param shape  the dimensions
     * @param values the values, row-major
     * @return this writer
     */
    public SafetensorsWriter addF32(String name, long[] shape, float[] values) {
        return addFloats(name, StDType.F32, shape, values);
    }

    /**
     * Adds int values stored as I32.
     * @param name   the tensor name, unique in the file
     * @param shape  the dimensions
     * @param values the values, row-major
     * @return this writer
     */
    public SafetensorsWriter addI32(String name, long[] shape, int[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            buf.putInt(v);
        }
        return add(name, StDType.I32, shape, buf.array());
    }

    /**
     * Adds long values stored as I64.
     * @param name   the tensor name, unique in the file
     * @param shape  the dimensions
     * @param values the values, row-major
     * @return this writer
     */
    public SafetensorsWriter addI64(String name, long[] shape, long[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            buf.putLong(v);
        }
        return add(name, StDType.I64, shape, buf.array());
    }

    /** Header JSON bytes, space-padded to a multiple of 8. */
    byte[] header() {
        Map<String, Object> h = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            h.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Item i : items) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", i.dtype.name());
            e.put("shape", i.shape);
            e.put("data_offsets", new long[]{offset, offset + i.bytes.length});
            offset += i.bytes.length;
            h.put(i.name, e);
        }
        byte[] json = Json.write(h).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int k = json.length; k < padded; k++) {
            out[k] = ' ';
        }
        return out;
    }

    /**
     * Writes the file atomically (through a {@code .tmp} sibling), creating parent directories.
     * @param file the destination
     * @throws java.io.UncheckedIOException if the file cannot be written
     */
    public void write(Path file) {
        byte[] header = header();
        Path parent = file.toAbsolutePath().getParent();
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array();
                out.write(len);
                out.write(header);
                for (Item i : items) {
                    out.write(i.bytes);
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
