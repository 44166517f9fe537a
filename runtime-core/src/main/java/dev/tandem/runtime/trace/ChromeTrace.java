package dev.tandem.runtime.trace;

import dev.tandem.runtime.json.Json;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chrome trace-event JSON: one process per device (named with its rank), one thread lane per stream,
 * complete ("X") events in microseconds from the earliest span.
 */
public final class ChromeTrace {
    private ChromeTrace() {
    }

    /**
     * Writes spans as Chrome trace-event JSON to a file, one lane per device and stream.
     *
     * @param spans the spans to write
     * @param file the file to write, replaced if it exists; missing parent directories are created
     * @throws IOException if the file cannot be written
     */
    public static void write(List<TraceSpan> spans, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(spans, out);
        }
    }

    /**
     * Writes spans as Chrome trace-event JSON, timestamps relative to the earliest span start.
     *
     * @param spans the spans to write
     * @param out where the JSON goes; not closed
     * @throws IOException if writing fails
     */
    public static void write(List<TraceSpan> spans, Writer out) throws IOException {
        long origin = spans.stream().mapToLong(TraceSpan::startNanos).min().orElse(0);
        Map<String, Integer> lanes = new LinkedHashMap<>();
        spans.stream()
                .sorted(Comparator.comparingInt(TraceSpan::device).thenComparing(s -> s.role().ordinal())
                        .thenComparing(TraceSpan::stream))
                .forEach(s -> lanes.computeIfAbsent(s.device() + "/" + s.stream(), k -> lanes.size() + 1));
        out.write("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
        boolean first = true;
        Map<Integer, Integer> deviceRanks = new LinkedHashMap<>();
        for (TraceSpan s : spans) {
            deviceRanks.putIfAbsent(s.device(), s.rank());
            if (s.rank() >= 0) {
                deviceRanks.put(s.device(), s.rank());
            }
        }
        for (var e : deviceRanks.entrySet()) {
            String label = e.getValue() >= 0 ? "rank " + e.getValue() + " (device " + e.getKey() + ")" : "device " + e.getKey();
            first = sep(out, first);
            out.write("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + e.getKey() + ",\"args\":{\"name\":"
                    + Json.quote(label) + "}}");
            first = sep(out, first);
            out.write("{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" + e.getKey()
                    + ",\"args\":{\"sort_index\":" + e.getKey() + "}}");
        }
        for (var e : lanes.entrySet()) {
            String[] parts = e.getKey().split("/", 2);
            first = sep(out, first);
            out.write("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + parts[0] + ",\"tid\":" + e.getValue()
                    + ",\"args\":{\"name\":" + Json.quote(parts[1]) + "}}");
            first = sep(out, first);
            out.write("{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":" + parts[0] + ",\"tid\":" + e.getValue()
                    + ",\"args\":{\"sort_index\":" + e.getValue() + "}}");
        }
        for (TraceSpan s : spans) {
            first = sep(out, first);
            int tid = lanes.get(s.device() + "/" + s.stream());
            out.write(String.format(Locale.ROOT,
                    "{\"ph\":\"X\",\"name\":%s,\"cat\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,"
                            + "\"args\":{\"tag\":%s,\"stream\":%s,\"rank\":%d}}",
                    Json.quote(s.tag() == null ? s.name() : s.name() + " " + s.tag()), s.role().name().toLowerCase(Locale.ROOT),
                    s.device(), tid, (s.startNanos() - origin) / 1000.0, s.durationNanos() / 1000.0,
                    Json.quote(s.tag() == null ? "" : s.tag()), Json.quote(s.stream()), s.rank()));
        }
        out.write("\n]}\n");
    }

    private static boolean sep(Writer out, boolean first) throws IOException {
        if (!first) {
            out.write(",\n");
        }
        return false;
    }

}
