package dev.tandem.deepseek.weights;


import dev.tandem.runtime.json.Json;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One memory-mapped {@code .safetensors} file: an 8-byte little-endian header length, a JSON header mapping
 * tensor names to {@code dtype}, {@code shape} and {@code data_offsets} (relative to the end of the header), then
 * the data. The header is fully validated when the file opens: offsets in range, sizes matching dtype and shape,
 * no overlaps. Tensors are windows onto the mapping; nothing is copied until asked. Close to unmap.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted (the format's reference implementation uses 100 MB). */
    public static final long MAX_HEADER = 100L * 1024 * 1024;

    private final Path path;
    private final Arena arena;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final MemorySegment data;

    private record Entry(StDType dtype, long[] shape, long begin, long end) {
    }

    private SafetensorsFile(Path path, Arena arena, Map<String, Entry> entries, Map<String, String> metadata,
                            MemorySegment data) {
        this.path = path;
        this.arena = arena;
        this.entries = entries;
        this.metadata = metadata;
        this.data = data;
    }

    /**
     * Memory-maps a safetensors file and validates its header.
     * @param path the file
     * @return the open file; close it to unmap
     * @throws SafetensorsException if the file is missing, truncated or its header is invalid
     */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment all;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                all = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                if (size < 8) {
                    throw new SafetensorsException(path, null, "truncated file: " + size + " bytes, less than the 8-byte header length");
                }
            }
            long size = all.byteSize();
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen < 2 || headerLen > MAX_HEADER) {
                throw new SafetensorsException(path, null, "corrupt header length " + headerLen);
            }
            if (8 + headerLen > size) {
                throw new SafetensorsException(path, null, "truncated file: header of " + headerLen
                        + " bytes does not fit in " + size + " bytes");
            }
            byte[] headerBytes = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            String headerText = new String(headerBytes, StandardCharsets.UTF_8);
            Map<String, Object> header;
            try {
                header = Json.parseObject(headerText);
            } catch (Json.JsonException e) {
                throw new SafetensorsException(path, null, "corrupt header: " + e.getMessage(), e);
            }
            MemorySegment data = all.asSlice(8 + headerLen);
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (var e : header.entrySet()) {
                String name = e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> meta)) {
                        throw new SafetensorsException(path, null, "__metadata__ must be an object");
                    }
                    for (var me : meta.entrySet()) {
                        if (!(me.getValue() instanceof String s)) {
                            throw new SafetensorsException(path, null, "__metadata__ values must be strings");
                        }
                        metadata.put((String) me.getKey(), s);
                    }
                    continue;
                }
                entries.put(name, parseEntry(path, name, e.getValue(), data.byteSize()));
            }
            checkOverlaps(path, entries);
            return new SafetensorsFile(path, arena, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata), data);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new SafetensorsException(path, null, "file not found", e);
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path, null, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Entry parseEntry(Path path, String name, Object value, long dataSize) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new SafetensorsException(path, name, "header entry is not an object");
        }
        if (!(m.get("dtype") instanceof String dt)) {
            throw new SafetensorsException(path, name, "header entry lacks a dtype string");
        }
        StDType dtype = StDType.byName(dt);
        if (dtype == null) {
            throw new SafetensorsException(path, name, "unsupported dtype " + dt);
        }
        if (!(m.get("shape") instanceof List<?> shapeList)) {
            throw new SafetensorsException(path, name, "header entry lacks a shape array");
        }
        long[] shape = new long[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0) {
                throw new SafetensorsException(path, name, "shape entries must be non-negative integers: " + shapeList);
            }
            shape[i] = d;
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException overflow) {
                throw new SafetensorsException(path, name, "shape " + shapeList + " overflows");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end)) {
            throw new SafetensorsException(path, name, "data_offsets must be two integers");
        }
        if (begin < 0 || end < begin) {
            throw new SafetensorsException(path, name, "invalid data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataSize) {
            throw new SafetensorsException(path, name, "truncated file: data_offsets end " + end
                    + " lies beyond the " + dataSize + " data bytes present");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new SafetensorsException(path, name, "byte size overflows");
        }
        if (end - begin != expected) {
            throw new SafetensorsException(path, name, "data_offsets cover " + (end - begin) + " bytes but dtype "
                    + dtype + " and shape " + shapeList + " need " + expected);
        }
        return new Entry(dtype, shape, begin, end);
    }

    private static void checkOverlaps(Path path, Map<String, Entry> entries) {
        List<Map.Entry<String, Entry>> sorted = new ArrayList<>(entries.entrySet());
        sorted.sort((a, b) -> Long.compare(a.getValue().begin, b.getValue().begin));
        long lastEnd = 0;
        String lastName = null;
        for (var e : sorted) {
            Entry en = e.getValue();
            if (en.begin < lastEnd && en.end > en.begin) {
                throw new SafetensorsException(path, e.getKey(), "data overlaps tensor '" + lastName + "'");
            }
            if (en.end > lastEnd) {
                lastEnd = en.end;
                lastName = e.getKey();
            }
        }
    }

    /** {@return the file's path} */
    public Path path() {
        return path;
    }

    /**
     * Tensor names in header order.
     * @return the names, unmodifiable
     */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /**
     * Whether the file holds a tensor.
     *
     * @param name a tensor name
     * @return whether the file holds a tensor of that name
     */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** {@return the header's {@code __metadata__} string map (empty when absent)} */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor, a window onto the mapping; throws naming the file when absent.
     * @param name the tensor name
     * @return the tensor, valid until this file is closed
     * @throws SafetensorsException if the file has no such tensor
     */
    public HostTensor tensor(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new SafetensorsException(path, name, "tensor not found in file");
        }
        return new HostTensor(name, e.dtype, e.shape, data.asSlice(e.begin, e.end - e.begin), path);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
