package dev.tandem.runtime.sim;

import dev.tandem.runtime.InvalidArgumentException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The figures a simulated device costs its operations with. Shipped profiles are properties files under
 * {@code dev/tandem/runtime/sim/profiles/}, each figure with its public source beside it; {@link HostProfile}
 * measures one for the running machine.
 *
 * @param name              profile name, e.g. {@code 910b2}
 * @param description       one line: what device, and how its figures were obtained
 * @param peakTflops        dense peak per compute dtype ({@code bf16}, {@code fp8}, {@code int8}, {@code f32}); a
 *                          missing dtype means the device has no units for it
 * @param gemmEfficiency    best fraction of peak a large GEMM reaches
 * @param gemmHalfRows      the row count m at which a GEMM reaches half of that (small m is inefficient)
 * @param hbmGBps           memory bandwidth, GB/s
 * @param hbmEfficiency     fraction of it element-wise kernels reach
 * @param memoryGiB         device memory capacity, GiB
 * @param intraGBps         per-device link bandwidth to devices of the same node, GB/s (one direction)
 * @param intraLatencyMicros latency of one collective inside a node
 * @param interGBps         per-device bandwidth to other nodes, GB/s
 * @param interLatencyMicros latency of one collective across nodes
 * @param allToAllGBps      measured all-to-all bandwidth per device by EP size (dispatch's, and every exchange's whose
 *                          stage has no table in {@code stageAllToAllGBps}); interpolated in
 *                          log2(EP), falling back to the link bandwidths when empty
 * @param launchMicros      host time to issue one operation
 * @param commSlowdown      {@code k}: while communication (a collective from its arrival to its end, a transfer)
 *                          runs on a device, its kernels progress at {@code 1 / (1 + k)} of their speed (they take
 *                          {@code 1 + k} times as long), modelled inside the simulation's virtual time, so the
 *                          delay reaches everything that depends on them; 0 for none
 * @param activationBytes   bytes per activation element moved by kernels and collectives (2 for BF16); 0 means
 *                          "as the tensors are stored" (the host profile)
 * @param devicesPerNode    devices in one node (scale-up domain)
 * @param hostWakeMicros    host time from the end of what a blocking call (a download, a synchronize) waited for
 *                          until the host thread issues again: thread wake-up and scheduling. Key
 *                          {@code host.wake.us}, optional (0: not modelled, as in the shipped accelerator profiles,
 *                          where it is microseconds against millisecond steps); the {@code host} profile measures it.
 *                          The simulation draws each wake-up from an exponential distribution of this mean, a sequence
 *                          of its own per device and stream: ranks wake at different times, as on a busy CPU
 * @param streamWakeMicros  time from the end of what a stream waits for (an event recorded on another stream) until
 *                          the waiting stream runs its next operation, when it really had to wait. Key
 *                          {@code stream.wake.us}, optional (0: not modelled, as in the shipped accelerator profiles,
 *                          whose streams wait on hardware); the {@code host} profile measures its stream threads'
 *                          wake-up while the devices compute; drawn as {@code hostWakeMicros} is
 * @param kernelGBps        bytes per nanosecond (GB/s) a named element-wise kernel moves where it is not bound by
 *                          memory bandwidth (keys {@code kernel.NAME.gbps}, optional): the host profile measures its
 *                          exponential-bound {@code swiglu}; kernels not listed move their bytes at
 *                          {@code hbmGBps x hbmEfficiency}
 * @param aloneSpeedup      {@code s}: the devices share compute units (the host's devices share the CPU's cores),
 *                          and a kernel runs {@code 1 + s} times faster while no other device computes than while
 *                          all of them do (the rates above are those with all devices busy). Key
 *                          {@code host.alone.speedup}, optional (0: each device computes on its own units, as every
 *                          accelerator does); the {@code host} profile measures it. The simulation charges it through
 *                          {@link SimRuntime#rehearseAndRun(java.util.function.Supplier)}
 * @param gemmRowsEfficiency measured fraction of peak a GEMM reaches at a given row count m (keys
 *                          {@code gemm.efficiency.rows.M}, optional): where present it replaces the curve
 *                          {@code gemm.efficiency x m / (m + gemm.half.rows)}, interpolated linearly in m between
 *                          the measured row counts, constant above the largest and proportional to m below the
 *                          smallest (a GEMM of few rows costs about what the smallest measured one does). The
 *                          {@code host} profile measures it: a CPU's GEMM steps with its register blocking rather
 *                          than following a smooth curve
 * @param kernelMicros      fixed time per call of a named kernel, beyond its bytes at its rate (keys
 *                          {@code kernel.NAME.us}, optional, including {@code attention}): the {@code host} profile
 *                          measures each kernel at two sizes and splits its time into this and
 *                          {@code kernel.NAME.gbps}
 * @param attentionEfficiency fraction of the GEMM rate at the same rows that fused attention's two products reach
 *                          (key {@code attention.efficiency}, optional, default 1: attention runs at the GEMM
 *                          rate); the {@code host} profile measures it, since its attention multiplies small blocks
 *                          with exponentials in between
 * @param hostSteal         fraction of the host's own time (issuing operations at {@code launchMicros} each, zeroing
 *                          new buffers at {@code hbmGBps}) that the issuing device's kernels lose to it, because the
 *                          host threads and the devices' threads share CPU cores with none to spare (key
 *                          {@code host.steal}, optional, 0 to 1, default 0: an accelerator computes on its own units
 *                          whatever its host does); the {@code host} profile measures it, 1 on a machine with a core
 *                          per device and no more
 * @param streamParkMicros  how long a stream's thread that ran out of work waits for more before it parks; its next
 *                          operation then waits for it to wake up ({@code streamWakeMicros}, drawn the same way) as
 *                          well as for the host to issue it. Key {@code stream.park.us}, optional, default 0: streams
 *                          never park (an accelerator's hardware queues); the {@code host} profile takes its streams'
 *                          spin before parking
 * @param attentionPacksHeads whether fused attention over keys and values that every head shares (MLA's absorbed
 *                          latent) multiplies all heads' queries in one product of heads x queries rows, as FlashMLA
 *                          packs a shared key's heads (assumed alike for Ascend): a decode step's 128 heads then fill
 *                          a GEMM's rows where its single query would not. Key {@code attention.packs.heads},
 *                          optional, default true; the {@code host} profile says false (its kernel multiplies each
 *                          head's queries on their own)
 * @param stageAllToAllGBps measured all-to-all bandwidth per device by EP size of the exchanges a named stage issues
 *                          (keys {@code alltoall.STAGE.gbps.epN}, optional; e.g. {@code combine}, whose published
 *                          tables differ from dispatch's): an all-to-all whose trace tag ends in {@code /STAGE} (the
 *                          stage that {@link dev.tandem.runtime.schedule.ScheduleRunner} tags it with) uses that
 *                          stage's table, every other one {@code allToAllGBps}
 */
public record HardwareProfile(String name, String description, Map<String, Double> peakTflops, double gemmEfficiency,
                              double gemmHalfRows, double hbmGBps, double hbmEfficiency, double memoryGiB,
                              double intraGBps, double intraLatencyMicros, double interGBps, double interLatencyMicros,
                              Map<Integer, Double> allToAllGBps, double launchMicros, double commSlowdown,
                              int activationBytes, int devicesPerNode, double hostWakeMicros,
                              double streamWakeMicros, Map<String, Double> kernelGBps, double aloneSpeedup,
                              Map<Integer, Double> gemmRowsEfficiency, Map<String, Double> kernelMicros,
                              double attentionEfficiency, double hostSteal, double streamParkMicros,
                              boolean attentionPacksHeads, Map<String, Map<Integer, Double>> stageAllToAllGBps) {

    /** The profiles shipped as resources, in the order the planner lists them. */
    public static final List<String> SHIPPED = List.of("910b2", "910b3", "910b4", "a3", "h800", "h100", "h20", "h200");

    /** Checks the figures and copies the maps. */
    public HardwareProfile {
        peakTflops = Map.copyOf(peakTflops);
        allToAllGBps = new TreeMap<>(allToAllGBps);
        allToAllGBps.forEach((ep, gbps) -> positive("alltoall.gbps.ep" + ep, gbps));
        Map<String, Map<Integer, Double>> stageTables = new TreeMap<>();
        stageAllToAllGBps.forEach((stage, table) -> {
            table.forEach((ep, gbps) -> positive("alltoall." + stage + ".gbps.ep" + ep, gbps));
            stageTables.put(stage, Collections.unmodifiableNavigableMap(new TreeMap<>(table)));
        });
        stageAllToAllGBps = Collections.unmodifiableMap(stageTables);
        kernelGBps = Map.copyOf(kernelGBps);
        kernelGBps.forEach((kernel, gbps) -> positive("kernel." + kernel + ".gbps", gbps));
        gemmRowsEfficiency = Collections.unmodifiableNavigableMap(new TreeMap<>(gemmRowsEfficiency));
        gemmRowsEfficiency.forEach((rows, e) -> {
            if (rows < 1) {
                throw new InvalidArgumentException("profile " + name + ": gemm.efficiency.rows." + rows
                        + " names a row count below 1");
            }
            positive("gemm.efficiency.rows." + rows, e);
        });
        kernelMicros = Map.copyOf(kernelMicros);
        kernelMicros.forEach((kernel, us) -> nonNegative("kernel." + kernel + ".us", us));
        positive("attention.efficiency", attentionEfficiency);
        positive("gemm.efficiency", gemmEfficiency);
        positive("hbm.gbps", hbmGBps);
        positive("hbm.efficiency", hbmEfficiency);
        positive("link.intra.gbps", intraGBps);
        positive("link.inter.gbps", interGBps);
        if (!(commSlowdown >= 0) || Double.isInfinite(commSlowdown)) {
            throw new InvalidArgumentException("profile " + name + ": comm.slowdown must be 0 or more, got "
                    + commSlowdown);
        }
        if (devicesPerNode < 1) {
            throw new InvalidArgumentException("profile " + name + ": devices.per.node must be at least 1");
        }
        if (!peakTflops.containsKey("bf16")) {
            throw new InvalidArgumentException("profile " + name + ": peak.tflops.bf16 is required");
        }
        nonNegative("host.wake.us", hostWakeMicros);
        nonNegative("stream.wake.us", streamWakeMicros);
        nonNegative("host.alone.speedup", aloneSpeedup);
        if (!(hostSteal >= 0 && hostSteal <= 1)) {
            throw new InvalidArgumentException("profile " + name + ": host.steal must be between 0 and 1, got "
                    + hostSteal);
        }
        nonNegative("stream.park.us", streamParkMicros);
    }

    /**
     * A profile whose host does not take time from the devices ({@code hostSteal} 0) and whose streams never park
     * ({@code streamParkMicros} 0).
     *
     * @param name               profile name
     * @param description        one line: what device, and how its figures were obtained
     * @param peakTflops         dense peak per compute dtype
     * @param gemmEfficiency     best fraction of peak a large GEMM reaches
     * @param gemmHalfRows       the row count at which a GEMM reaches half of that
     * @param hbmGBps            memory bandwidth, GB/s
     * @param hbmEfficiency      fraction of it element-wise kernels reach
     * @param memoryGiB          device memory capacity, GiB
     * @param intraGBps          per-device link bandwidth inside a node, GB/s
     * @param intraLatencyMicros latency of one collective inside a node
     * @param interGBps          per-device bandwidth to other nodes, GB/s
     * @param interLatencyMicros latency of one collective across nodes
     * @param allToAllGBps       measured all-to-all bandwidth per device by EP size
     * @param launchMicros       host time to issue one operation
     * @param commSlowdown       fraction by which compute slows while communication runs on the same device
     * @param activationBytes    bytes per activation element (0: as stored)
     * @param devicesPerNode     devices in one node
     * @param hostWakeMicros     the host thread's wake-up after a blocking wait
     * @param streamWakeMicros   a stream's wake-up after waiting for another
     * @param kernelGBps         own rates of named element-wise kernels, GB/s
     * @param aloneSpeedup       how much faster a device computes while the others idle
     * @param gemmRowsEfficiency measured GEMM efficiency by row count
     * @param kernelMicros       fixed time per call of named kernels
     * @param attentionEfficiency fraction of the GEMM rate fused attention reaches
     */
    public HardwareProfile(String name, String description, Map<String, Double> peakTflops, double gemmEfficiency,
                           double gemmHalfRows, double hbmGBps, double hbmEfficiency, double memoryGiB,
                           double intraGBps, double intraLatencyMicros, double interGBps, double interLatencyMicros,
                           Map<Integer, Double> allToAllGBps, double launchMicros, double commSlowdown,
                           int activationBytes, int devicesPerNode, double hostWakeMicros, double streamWakeMicros,
                           Map<String, Double> kernelGBps, double aloneSpeedup, Map<Integer, Double> gemmRowsEfficiency,
                           Map<String, Double> kernelMicros, double attentionEfficiency) {
        this(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps, hbmEfficiency, memoryGiB, intraGBps,
                intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps, launchMicros, commSlowdown,
                activationBytes, devicesPerNode, hostWakeMicros, streamWakeMicros, kernelGBps, aloneSpeedup,
                gemmRowsEfficiency, kernelMicros, attentionEfficiency, 0, 0, true, Map.of());
    }

    /**
     * A profile without measured per-kernel figures: the GEMM curve, no fixed time per kernel call, attention at the
     * GEMM rate.
     *
     * @param name               profile name
     * @param description        one line: what device, and how its figures were obtained
     * @param peakTflops         dense peak per compute dtype
     * @param gemmEfficiency     best fraction of peak a large GEMM reaches
     * @param gemmHalfRows       the row count at which a GEMM reaches half of that
     * @param hbmGBps            memory bandwidth, GB/s
     * @param hbmEfficiency      fraction of it element-wise kernels reach
     * @param memoryGiB          device memory capacity, GiB
     * @param intraGBps          per-device link bandwidth inside a node, GB/s
     * @param intraLatencyMicros latency of one collective inside a node
     * @param interGBps          per-device bandwidth to other nodes, GB/s
     * @param interLatencyMicros latency of one collective across nodes
     * @param allToAllGBps       measured all-to-all bandwidth per device by EP size
     * @param launchMicros       host time to issue one operation
     * @param commSlowdown       fraction by which compute slows while communication runs on the same device
     * @param activationBytes    bytes per activation element (0: as stored)
     * @param devicesPerNode     devices in one node
     * @param hostWakeMicros     the host thread's wake-up after a blocking wait
     * @param streamWakeMicros   a stream's wake-up after waiting for another
     * @param kernelGBps         own rates of named element-wise kernels, GB/s
     * @param aloneSpeedup       how much faster a device computes while the others idle
     */
    public HardwareProfile(String name, String description, Map<String, Double> peakTflops, double gemmEfficiency,
                           double gemmHalfRows, double hbmGBps, double hbmEfficiency, double memoryGiB,
                           double intraGBps, double intraLatencyMicros, double interGBps, double interLatencyMicros,
                           Map<Integer, Double> allToAllGBps, double launchMicros, double commSlowdown,
                           int activationBytes, int devicesPerNode, double hostWakeMicros, double streamWakeMicros,
                           Map<String, Double> kernelGBps, double aloneSpeedup) {
        this(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps, hbmEfficiency, memoryGiB, intraGBps,
                intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps, launchMicros, commSlowdown,
                activationBytes, devicesPerNode, hostWakeMicros, streamWakeMicros, kernelGBps, aloneSpeedup, Map.of(),
                Map.of(), 1);
    }

    /**
     * A profile whose devices do not share compute units ({@code aloneSpeedup} 0).
     *
     * @param name               profile name
     * @param description        one line: what device, and how its figures were obtained
     * @param peakTflops         dense peak per compute dtype
     * @param gemmEfficiency     best fraction of peak a large GEMM reaches
     * @param gemmHalfRows       the row count at which a GEMM reaches half of that
     * @param hbmGBps            memory bandwidth, GB/s
     * @param hbmEfficiency      fraction of it element-wise kernels reach
     * @param memoryGiB          device memory capacity, GiB
     * @param intraGBps          per-device link bandwidth inside a node, GB/s
     * @param intraLatencyMicros latency of one collective inside a node
     * @param interGBps          per-device bandwidth to other nodes, GB/s
     * @param interLatencyMicros latency of one collective across nodes
     * @param allToAllGBps       measured all-to-all bandwidth per device by EP size
     * @param launchMicros       host time to issue one operation
     * @param commSlowdown       fraction by which compute slows while communication runs on the same device
     * @param activationBytes    bytes per activation element (0: as stored)
     * @param devicesPerNode     devices in one node
     * @param hostWakeMicros     the host thread's wake-up after a blocking wait
     * @param streamWakeMicros   a stream's wake-up after waiting for another
     * @param kernelGBps         own rates of named element-wise kernels, GB/s
     */
    public HardwareProfile(String name, String description, Map<String, Double> peakTflops, double gemmEfficiency,
                           double gemmHalfRows, double hbmGBps, double hbmEfficiency, double memoryGiB,
                           double intraGBps, double intraLatencyMicros, double interGBps, double interLatencyMicros,
                           Map<Integer, Double> allToAllGBps, double launchMicros, double commSlowdown,
                           int activationBytes, int devicesPerNode, double hostWakeMicros, double streamWakeMicros,
                           Map<String, Double> kernelGBps) {
        this(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps, hbmEfficiency, memoryGiB, intraGBps,
                intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps, launchMicros, commSlowdown,
                activationBytes, devicesPerNode, hostWakeMicros, streamWakeMicros, kernelGBps, 0, Map.of(), Map.of(), 1);
    }

    /**
     * A profile that does not model the host's or the streams' wake-ups ({@code hostWakeMicros} and
     * {@code streamWakeMicros} 0), gives no kernel its own rate and whose devices do not share compute units.
     *
     * @param name               profile name
     * @param description        one line: what device, and how its figures were obtained
     * @param peakTflops         dense peak per compute dtype
     * @param gemmEfficiency     best fraction of peak a large GEMM reaches
     * @param gemmHalfRows       the row count at which a GEMM reaches half of that
     * @param hbmGBps            memory bandwidth, GB/s
     * @param hbmEfficiency      fraction of it element-wise kernels reach
     * @param memoryGiB          device memory capacity, GiB
     * @param intraGBps          per-device link bandwidth inside a node, GB/s
     * @param intraLatencyMicros latency of one collective inside a node
     * @param interGBps          per-device bandwidth to other nodes, GB/s
     * @param interLatencyMicros latency of one collective across nodes
     * @param allToAllGBps       measured all-to-all bandwidth per device by EP size
     * @param launchMicros       host time to issue one operation
     * @param commSlowdown       fraction by which compute slows while communication runs on the same device
     * @param activationBytes    bytes per activation element (0: as stored)
     * @param devicesPerNode     devices in one node
     */
    public HardwareProfile(String name, String description, Map<String, Double> peakTflops, double gemmEfficiency,
                           double gemmHalfRows, double hbmGBps, double hbmEfficiency, double memoryGiB,
                           double intraGBps, double intraLatencyMicros, double interGBps, double interLatencyMicros,
                           Map<Integer, Double> allToAllGBps, double launchMicros, double commSlowdown,
                           int activationBytes, int devicesPerNode) {
        this(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps, hbmEfficiency, memoryGiB, intraGBps,
                intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps, launchMicros, commSlowdown,
                activationBytes, devicesPerNode, 0, 0, Map.of(), 0, Map.of(), Map.of(), 1);
    }

    private static void nonNegative(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new InvalidArgumentException("profile figure " + key + " must be a non-negative number, got " + v);
        }
    }

    private static void positive(String key, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new InvalidArgumentException("profile figure " + key + " must be a positive number, got " + v);
        }
    }

    /**
     * Peak TFLOPS for {@code dtype} ({@code bf16}, {@code fp8}, {@code int8}, {@code f32}), or NaN when absent.
     *
     * @param dtype the dtype name, case-insensitive
     * @return dense peak in TFLOPS, or NaN when the hardware has no units for it
     */
    public double peak(String dtype) {
        Double v = peakTflops.get(dtype.toLowerCase(Locale.ROOT));
        return v == null ? Double.NaN : v;
    }

    /**
     * Loads a shipped profile by name (case-insensitive); an unknown name lists the known ones.
     *
     * @param name the profile's name, e.g. one of the shipped profiles
     * @return the profile
     * @throws InvalidArgumentException if no such profile ships or a figure in it is missing or invalid
     * @throws java.io.UncheckedIOException if the profile cannot be read
     */
    public static HardwareProfile load(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        String resource = "profiles/" + key + ".properties";
        try (InputStream in = HardwareProfile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new InvalidArgumentException("unknown hardware profile '" + name + "'; known: "
                        + String.join(", ", SHIPPED) + ", host");
            }
            Properties p = new Properties();
            p.load(in);
            return fromProperties(key, p);
        } catch (IOException e) {
            throw new UncheckedIOException("reading hardware profile " + resource, e);
        }
    }

    /**
     * A profile from properties with the keys of the shipped files.
     *
     * @param name the profile's name
     * @param p    the figures, with the keys of the shipped {@code profiles/*.properties} files
     * @return the profile
     * @throws InvalidArgumentException if a figure is missing, not a number or out of range
     */
    public static HardwareProfile fromProperties(String name, Properties p) {
        Map<String, Double> peaks = new TreeMap<>();
        Map<Integer, Double> a2a = new TreeMap<>();
        Map<String, Map<Integer, Double>> stageA2a = new TreeMap<>();
        Map<String, Double> kernels = new TreeMap<>();
        Map<String, Double> kernelMicros = new TreeMap<>();
        Map<Integer, Double> rowsEfficiency = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith("peak.tflops.")) {
                peaks.put(k.substring("peak.tflops.".length()), number(p, k));
            } else if (k.startsWith("kernel.") && k.endsWith(".gbps")) {
                kernels.put(k.substring("kernel.".length(), k.length() - ".gbps".length()), number(p, k));
            } else if (k.startsWith("kernel.") && k.endsWith(".us")) {
                kernelMicros.put(k.substring("kernel.".length(), k.length() - ".us".length()), number(p, k));
            } else if (k.startsWith("gemm.efficiency.rows.")) {
                rowsEfficiency.put(rowCount(k), number(p, k));
            } else if (k.startsWith("alltoall.gbps.ep")) {
                a2a.put(epSize(k, "alltoall.gbps.ep".length()), number(p, k));
            } else if (k.startsWith("alltoall.") && k.contains(".gbps.ep")) {
                String stage = k.substring("alltoall.".length(), k.indexOf(".gbps.ep"));
                if (stage.isEmpty() || stage.contains(".")) {
                    throw new InvalidArgumentException("hardware profile key '" + k + "' must name one stage: "
                            + "alltoall.STAGE.gbps.epN");
                }
                stageA2a.computeIfAbsent(stage, x -> new TreeMap<>())
                        .put(epSize(k, k.indexOf(".gbps.ep") + ".gbps.ep".length()), number(p, k));
            }
        }
        return new HardwareProfile(name, p.getProperty("description", name), peaks, number(p, "gemm.efficiency"),
                number(p, "gemm.half.rows"), number(p, "hbm.gbps"), number(p, "hbm.efficiency"),
                number(p, "memory.gib"), number(p, "link.intra.gbps"), number(p, "link.intra.latency.us"),
                number(p, "link.inter.gbps"), number(p, "link.inter.latency.us"), a2a, number(p, "launch.us"),
                number(p, "comm.slowdown"), (int) number(p, "activation.bytes"), (int) number(p, "devices.per.node"),
                optional(p, "host.wake.us"), optional(p, "stream.wake.us"), kernels, optional(p, "host.alone.speedup"),
                rowsEfficiency, kernelMicros, p.getProperty("attention.efficiency") == null ? 1
                        : number(p, "attention.efficiency"), optional(p, "host.steal"), optional(p, "stream.park.us"),
                flag(p, "attention.packs.heads", true), stageA2a);
    }

    private static int epSize(String key, int from) {
        try {
            return Integer.parseInt(key.substring(from));
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("hardware profile key '" + key + "' must end in an EP size");
        }
    }

    private static int rowCount(String key) {
        String rows = key.substring("gemm.efficiency.rows.".length());
        try {
            return Integer.parseInt(rows);
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("hardware profile key '" + key + "' must end in a row count, got '"
                    + rows + "'");
        }
    }

    private static boolean flag(Properties p, String key, boolean absent) {
        String v = p.getProperty(key);
        if (v == null) {
            return absent;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidArgumentException("hardware profile flag '" + key + "' must be true or false: "
                    + v);
        };
    }

    private static double optional(Properties p, String key) {
        return p.getProperty(key) == null ? 0 : number(p, key);
    }

    private static double number(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new InvalidArgumentException("hardware profile is missing '" + key + "'");
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("hardware profile figure '" + key + "' is not a number: " + v);
        }
    }

    /**
     * This profile with another compute slow-down while communication runs (0: none, e.g. to see what contention
     * costs a schedule).
     *
     * @param slowdown the fraction {@code k} (see {@link #commSlowdown()}), at least 0
     * @return a copy with that slow-down
     * @throws InvalidArgumentException if {@code slowdown} is negative or not finite
     */
    public HardwareProfile withCommSlowdown(double slowdown) {
        return new HardwareProfile(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps,
                hbmEfficiency, memoryGiB, intraGBps, intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps,
                launchMicros, slowdown, activationBytes, devicesPerNode, hostWakeMicros, streamWakeMicros, kernelGBps,
                aloneSpeedup, gemmRowsEfficiency, kernelMicros, attentionEfficiency, hostSteal, streamParkMicros,
                attentionPacksHeads, stageAllToAllGBps);
    }

    /**
     * This profile with attention that packs (or does not pack) the heads sharing keys into one product, e.g. to
     * cost a kernel that multiplies each head on its own.
     *
     * @param packs whether the heads are packed (see {@link #attentionPacksHeads()})
     * @return a copy with that kernel behaviour
     */
    public HardwareProfile withAttentionPacksHeads(boolean packs) {
        return new HardwareProfile(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps,
                hbmEfficiency, memoryGiB, intraGBps, intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps,
                launchMicros, commSlowdown, activationBytes, devicesPerNode, hostWakeMicros, streamWakeMicros, kernelGBps,
                aloneSpeedup, gemmRowsEfficiency, kernelMicros, attentionEfficiency, hostSteal, streamParkMicros, packs,
                stageAllToAllGBps);
    }

    /**
     * This profile with devices that share compute units (0: they do not), e.g. to see what sharing costs a
     * schedule.
     *
     * @param speedup {@code s} (see {@link #aloneSpeedup()}), at least 0
     * @return a copy with that speed-up
     * @throws InvalidArgumentException if {@code speedup} is negative or not finite
     */
    public HardwareProfile withAloneSpeedup(double speedup) {
        return new HardwareProfile(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps,
                hbmEfficiency, memoryGiB, intraGBps, intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps,
                launchMicros, commSlowdown, activationBytes, devicesPerNode, hostWakeMicros, streamWakeMicros,
                kernelGBps, speedup, gemmRowsEfficiency, kernelMicros, attentionEfficiency, hostSteal, streamParkMicros,
                attentionPacksHeads, stageAllToAllGBps);
    }

    /**
     * This profile with another node size (the planner's {@code --devices-per-node}).
     *
     * @param devices devices per node
     * @return a copy with that node size
     */
    public HardwareProfile withDevicesPerNode(int devices) {
        return new HardwareProfile(name, description, peakTflops, gemmEfficiency, gemmHalfRows, hbmGBps,
                hbmEfficiency, memoryGiB, intraGBps, intraLatencyMicros, interGBps, interLatencyMicros, allToAllGBps,
                launchMicros, commSlowdown, activationBytes, devices, hostWakeMicros, streamWakeMicros, kernelGBps,
                aloneSpeedup, gemmRowsEfficiency, kernelMicros, attentionEfficiency, hostSteal, streamParkMicros,
                attentionPacksHeads, stageAllToAllGBps);
    }
}
