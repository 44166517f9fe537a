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

    /**
     * Checks the numbers and copies the properties (null means none).
     *
     * @throws InvalidArgumentException if a count or size is negative
     */
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

    /**
     * Every field at the backend's default, tracing off, no properties.
     *
     * @return the default options
     */
    public static RuntimeOptions defaults() {
        return new RuntimeOptions(null, 0, 0, 0, false, Map.of());
    }

    /**
     * These options with another backend.
     *
     * @param name backend name, or null for the default selection
     * @return the copy
     */
    public RuntimeOptions withBackend(String name) {
        return new RuntimeOptions(name, deviceCount, computeThreads, deviceMemoryBytes, tracing, properties);
    }

    /**
     * These options with another device count.
     *
     * @param count devices to open; 0 for the backend's default
     * @return the copy
     */
    public RuntimeOptions withDeviceCount(int count) {
        return new RuntimeOptions(backend, count, computeThreads, deviceMemoryBytes, tracing, properties);
    }

    /**
     * These options with another kernel thread count.
     *
     * @param threads threads per device; 0 for the backend's default
     * @return the copy
     */
    public RuntimeOptions withComputeThreads(int threads) {
        return new RuntimeOptions(backend, deviceCount, threads, deviceMemoryBytes, tracing, properties);
    }

    /**
     * These options with another per-device memory capacity.
     *
     * @param bytes capacity of each emulated device; 0 for the backend's default
     * @return the copy
     */
    public RuntimeOptions withDeviceMemoryBytes(long bytes) {
        return new RuntimeOptions(backend, deviceCount, computeThreads, bytes, tracing, properties);
    }

    /**
     * These options with tracing on or off.
     *
     * @param enabled whether every operation is traced
     * @return the copy
     */
    public RuntimeOptions withTracing(boolean enabled) {
        return new RuntimeOptions(backend, deviceCount, computeThreads, deviceMemoryBytes, enabled, properties);
    }

    /**
     * These options with one backend property added or replaced.
     *
     * @param key   the property's name, e.g. {@code sim.profile}
     * @param value its value
     * @return the copy
     */
    public RuntimeOptions withProperty(String key, String value) {
        var map = new HashMap<>(properties);
        map.put(key, value);
        return new RuntimeOptions(backend, deviceCount, computeThreads, deviceMemoryBytes, tracing, map);
    }
}
