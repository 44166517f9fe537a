package dev.tandem.jmh.report;

import dev.tandem.runtime.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads the file JMH writes with {@code -rf json} into {@link BenchmarkResult}s, failing with a clear message. */
public final class JmhResultsFile {
    private JmhResultsFile() {
    }

    public static List<BenchmarkResult> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ReportException("JMH results file not found: " + file, e);
        } catch (IOException e) {
            throw new ReportException("cannot read JMH results file " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (ReportException e) {
            throw new ReportException(file + ": " + e.getMessage(), e);
        }
    }

    /** The results in JSON text; an empty array (JMH ran nothing) is an error, since there is nothing to report. */
    public static List<BenchmarkResult> parse(String text) {
        Object json;
        try {
            json = Json.parse(text, true);
        } catch (Json.JsonException e) {
            throw new ReportException(e.getMessage(), e);
        }
        if (!(json instanceof List<?> entries)) {
            throw new ReportException("expected a JSON array of JMH results at the top level");
        }
        if (entries.isEmpty()) {
            throw new ReportException("no benchmark results (did the include pattern match nothing?)");
        }
        List<BenchmarkResult> results = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> entry = object(entries.get(i), "result " + (i + 1));
            String where = "result " + (i + 1) + " (" + entry.getOrDefault("benchmark", "unnamed") + ")";
            try {
                results.add(toResult(entry));
            } catch (ReportException e) {
                throw new ReportException(where + ": " + e.getMessage(), e);
            }
        }
        return results;
    }

    private static BenchmarkResult toResult(Map<String, Object> entry) {
        Map<String, String> params = new LinkedHashMap<>();
        if (entry.get("params") != null) {
            object(entry.get("params"), "params").forEach((k, v) -> params.put(k, String.valueOf(v)));
        }
        Map<String, Metric> secondary = new LinkedHashMap<>();
        if (entry.get("secondaryMetrics") != null) {
            object(entry.get("secondaryMetrics"), "secondaryMetrics")
                    .forEach((name, m) -> secondary.put(name, metric(m, "secondaryMetrics." + name)));
        }
        RunSettings run = new RunSettings(
                string(entry, "jdkVersion"), string(entry, "vmName"), string(entry, "vmVersion"),
                integer(entry, "forks"), integer(entry, "warmupIterations"), string(entry, "warmupTime"),
                integer(entry, "measurementIterations"), string(entry, "measurementTime"));
        return new BenchmarkResult(required(entry, "benchmark", String.class), required(entry, "mode", String.class),
                params, metric(entry.get("primaryMetric"), "primaryMetric"), secondary, run);
    }

    private static Metric metric(Object value, String name) {
        Map<String, Object> m = object(value, name);
        try {
            return new Metric(numberValue(m.get("score")), numberValue(m.get("scoreError")),
                    required(m, "scoreUnit", String.class));
        } catch (ReportException e) {
            throw new ReportException(name + ": " + e.getMessage(), e);
        }
    }

    /** A JSON number, or one of the strings JMH writes for non-finite numbers ("NaN", "Infinity", "-Infinity"). */
    static double numberValue(Object value) {
        return switch (value) {
            case Number n -> n.doubleValue();
            case String s when s.equals("NaN") -> Double.NaN;
            case String s when s.equals("Infinity") || s.equals("+Infinity") -> Double.POSITIVE_INFINITY;
            case String s when s.equals("-Infinity") -> Double.NEGATIVE_INFINITY;
            case null -> throw new ReportException("expected a number but found null");
            default -> throw new ReportException("expected a number but found " + value);
        };
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value, String name) {
        if (value == null) {
            throw new ReportException("missing '" + name + "'");
        }
        if (!(value instanceof Map<?, ?>)) {
            throw new ReportException("'" + name + "' is not a JSON object");
        }
        return (Map<String, Object>) value;
    }

    private static <T> T required(Map<String, Object> m, String key, Class<T> type) {
        Object value = m.get(key);
        if (value == null) {
            throw new ReportException("missing '" + key + "'");
        }
        if (!type.isInstance(value)) {
            throw new ReportException("'" + key + "' is not a " + type.getSimpleName().toLowerCase(Locale.ROOT));
        }
        return type.cast(value);
    }

    /** Run settings are descriptive only, so an older or trimmed file without them still renders. */
    private static String string(Map<String, Object> m, String key) {
        Object value = m.get(key);
        return value == null ? "?" : String.valueOf(value);
    }

    private static int integer(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.intValue() : 0;
    }
}
