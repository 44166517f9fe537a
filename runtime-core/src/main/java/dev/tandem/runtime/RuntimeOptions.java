package dev.tandem.runtime;

import java.util.HashMap;
import java.util.Map;

/**
 * How to open a {@link TandemRuntime}. Zero means "the backend's default" for the numeric fields.
 *
 * @param backend           backend name, or null to use {@code -Dtandem.backend}, {@code TANDEM_BACKEND}, else {@code host}
 * @param deviceCount       devices to open (host backend: emulated devices; others: the first N visible)
 * @param computeThreads    threads one device's kernels may use (host backend)
 * @param deviceMemoryBytes memory capacity of each emulated device (host backend)
 * @param tracing           record a {@link dev.tandem.runtime.trace.TraceSpan} for every operation
 * @param properties        backend-specific settings
 */
public record RuntimeOptions(String backend, int deviceCount, int computeThreads, long deviceMemoryBytes,
                             boolean tracing, Map<String, String> properties) {

    public RuntimeOptions {
        if (deviceCount < 0) {
            throw new InvalidArgumentException("deviceCount must not be negative, got " + deviceCount);
        }
        if (computeThreads < 0) {
            throw new InvalidArgumentException("computeThreads must not be negative, got " + computeThreads);
        }
        if (deviceMemoryBytes < 0) {
            throw new InvalidArgumentException("deviceMemoryBytes must not be negative, got " + deviceMemoryBytes);
        }
        properties = Map.copyOf(properties == null ? Map.of() : properties);
    }

    public static RuntimeOptions defaults() {
        return new RuntimeOptions(null, 0, 0, 0, false, Map.of());
    }

    public RuntimeOptions withBackend(String name) {
        return new RuntimeOptions(name, deviceCount, computeThreads, deviceMemoryBytes, tracing, properties);
    }

    public RuntimeOptions withDeviceCount(int count) {
        return new RuntimeOptions(backend, count, computeThreads, deviceMemoryBytes, tracing, properties);
    }

    public RuntimeOptions withComputeThreads(int threads) {
        return new RuntimeOptions(backend, deviceCount, threads, deviceMemoryBytes, tracing, properties);
    }

    public RuntimeOptions withDeviceMemoryBytes(long bytes) {
        return new RuntimeOptions(backend, deviceCount, computeThreads, bytes, tracing, properties);
    }

    public RuntimeOptions withTracing(boolean enabled) {
        return new RuntimeOptions(backend, deviceCount, computeThreads, deviceMemoryBytes, enabled, properties);
    }

    public RuntimeOptions withProperty(String key, String value) {
        var map = new HashMap<>(properties);
        map.put(key, value);
        return new RuntimeOptions(backend, deviceCount, computeThreads, deviceMemoryBytes, tracing, map);
    }
}
