package dev.tandem.runtime.sim;

import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.RuntimeOptions;

import java.util.Objects;

/**
 * What a simulated runtime models.
 *
 * @param profile        the hardware
 * @param linearDType    dtype of linear-layer GEMMs: {@code bf16}, {@code int8} (W8A8) or {@code fp8}
 * @param routing        where routed tokens go on data-less devices (see {@link SimRuntime#routing()})
 * @param dataBytesLimit buffers up to this size carry real bytes (copies and all-gathers move them, so small host
 *                       decisions such as all-to-all counts work); larger ones carry shapes only. Kernels never
 *                       compute.
 */
public record SimSettings(HardwareProfile profile, String linearDType, RoutingModel routing, long dataBytesLimit) {
    /** Property keys read from {@link RuntimeOptions#properties()} when the backend is opened by name. */
    public static final String PROFILE = "sim.profile";
    /**
     * Property naming the linear-layer GEMM dtype ({@code bf16}, {@code int8} or {@code fp8}).
     */
    public static final String QUANT = "sim.quant";
    /**
     * Property giving the expert routing, parsed by {@link RoutingModel#parse(String)}.
     */
    public static final String EXPERT_SKEW = "sim.expertSkew";
    /**
     * Property overriding the profile's devices per node.
     */
    public static final String DEVICES_PER_NODE = "sim.devicesPerNode";
    /**
     * Property giving {@code dataBytesLimit} in bytes.
     */
    public static final String DATA_BYTES = "sim.dataBytes";
    /** Default profile when none is named: the host profile is measured, so a named one is cheaper. */
    public static final String DEFAULT_PROFILE = "h800";
    /**
     * Default {@code dataBytesLimit}: 64 KiB.
     */
    public static final long DEFAULT_DATA_BYTES = 64 * 1024;

    /**
     * Checks the settings.
     *
     * @throws InvalidArgumentException if {@code dataBytesLimit} is negative or the profile has no compute units for
     *                                  {@code linearDType}
     */
    public SimSettings {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(linearDType, "linearDType");
        Objects.requireNonNull(routing, "routing");
        if (dataBytesLimit < 0) {
            throw new InvalidArgumentException("sim data bytes limit must not be negative, got " + dataBytesLimit);
        }
        new CostModel(profile, linearDType);   // fails early when the profile has no units for the dtype
    }

    /**
     * Balanced routing, BF16 GEMMs, small buffers with data.
     *
     * @param profile the hardware
     * @return settings with {@link #DEFAULT_DATA_BYTES}
     */
    public static SimSettings of(HardwareProfile profile) {
        return new SimSettings(profile, "bf16", RoutingModel.balanced(), DEFAULT_DATA_BYTES);
    }

    /**
     * These settings with another linear-layer GEMM dtype.
     *
     * @param dtype {@code bf16}, {@code int8} or {@code fp8}
     * @return the copy
     */
    public SimSettings withLinearDType(String dtype) {
        return new SimSettings(profile, dtype, routing, dataBytesLimit);
    }

    /**
     * These settings with another routing model.
     *
     * @param model the routing model
     * @return the copy
     */
    public SimSettings withRouting(RoutingModel model) {
        return new SimSettings(profile, linearDType, model, dataBytesLimit);
    }

    /**
     * Settings from {@code sim.*} properties; a {@code host} profile is measured on this machine.
     *
     * @param options the runtime options whose properties are read
     * @return the settings
     * @throws InvalidArgumentException if a property is invalid
     */
    public static SimSettings fromProperties(RuntimeOptions options) {
        var p = options.properties();
        String name = p.getOrDefault(PROFILE, DEFAULT_PROFILE);
        HardwareProfile profile = name.equalsIgnoreCase("host") ? HostProfile.measure(null) : HardwareProfile.load(name);
        if (p.containsKey(DEVICES_PER_NODE)) {
            profile = profile.withDevicesPerNode(integer(p.get(DEVICES_PER_NODE), DEVICES_PER_NODE));
        }
        long data = p.containsKey(DATA_BYTES) ? integer(p.get(DATA_BYTES), DATA_BYTES) : DEFAULT_DATA_BYTES;
        return new SimSettings(profile, p.getOrDefault(QUANT, "bf16"),
                RoutingModel.parse(p.getOrDefault(EXPERT_SKEW, "balanced")), data);
    }

    private static int integer(String v, String key) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }
}
