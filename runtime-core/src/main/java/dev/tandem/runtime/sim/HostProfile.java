package dev.tandem.runtime.sim;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.host.HostBackend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link HardwareProfile} for the running machine, measured from the host backend's own kernels at a job's shapes
 * ({@link HostWorkload}), each with {@code ranks} devices busy at once (they share the CPU, as they do in a host
 * run): F32 GEMM efficiency by row count over the job's weight shapes; each element-wise kernel the layers call as a
 * rate and a fixed time per call; fused attention's efficiency against the GEMM rate; memory bandwidth and the
 * host's time per operation as layers issue them (each into a new temporary); the host's wake-up after a blocking
 * count exchange and a stream's after waiting for another, while the devices compute
 * ({@link HardwareProfile#hostWakeMicros()}, {@link HardwareProfile#streamWakeMicros()}); how much faster the GEMMs
 * run on one device while the others idle ({@link HardwareProfile#aloneSpeedup()}: the devices share the CPU's
 * cores); how much of the host's own work the devices' kernels lose to it ({@link HardwareProfile#hostSteal()}); and
 * the emulated {@link LinkEmulation} as the interconnect. Never fitted to an overlap result.
 */
public final class HostProfile {
    /** Row counts the GEMM rate is measured at. */
    static final int[] GEMM_ROWS = {8, 16, 32, 64, 128, 256};
    /** Element-wise kernels measured at the job's width: those the decoder layers call on every token. */
    static final List<String> ELEMENTWISE = List.of("add", "copy", "rmsNorm", "rope", "swiglu", "indexSelect");
    /** Weight bytes a GEMM measurement streams through per device: more than a server CPU's last-level cache share. */
    private static final long STREAMED_BYTES = 32L << 20;

    private HostProfile() {
    }

    /**
     * Measures with one device, one compute thread and {@code link} (null: 10 GB/s, 20 us).
     *
     * @param link the emulated link the host run uses, or null for the default
     * @return the measured profile
     */
    public static HardwareProfile measure(LinkEmulation link) {
        return measure(link, 1, 1);
    }

    /**
     * Measures the host backend with {@code ranks} devices of {@code computeThreads} threads running at once.
     *
     * @param link           the emulated link the host run uses (null: 10 GB/s, 20 us)
     * @param ranks          devices measured at once
     * @param computeThreads compute threads of each device
     * @return the measured profile
     */
    public static HardwareProfile measure(LinkEmulation link, int ranks, int computeThreads) {
        return measure(link, ranks, computeThreads, new int[][]{{512, 512}});
    }

    /**
     * Measures the host backend with {@code ranks} devices of {@code computeThreads} threads running at once, the
     * GEMM rate taken over the weight shapes {@code weights} (each {@code {k, n}}: a linear layer [m,k] x [n,k]^T)
     * with the host's own GEMM, so the profile reflects the products the measured job runs rather than one square
     * shape. Each shape counts equally: at each row count the rate is total flops / total time over the shapes.
     * Element-wise kernels are measured at the largest weight's input width and attention at 64 features per head
     * (use {@link #measure(LinkEmulation, int, int, HostWorkload)} to give the job's own).
     *
     * @param link    the emulated link the host run uses (null: 10 GB/s, 20 us)
     * @param weights the linear layers' weight shapes {k, n} to measure the GEMM rate at (at least one)
     * @param ranks          devices measured at once
     * @param computeThreads compute threads of each device
     * @return the measured profile
     * @throws InvalidArgumentException if {@code weights} is empty
     */
    public static HardwareProfile measure(LinkEmulation link, int ranks, int computeThreads, int[][] weights) {
        if (weights.length == 0) {
            throw new InvalidArgumentException("HostProfile.measure needs at least one weight shape");
        }
        int width = Math.max(64, LoadedHostMeasurements.largest(weights)[0]);
        return measure(link, ranks, computeThreads, new HostWorkload(weights, width, Math.max(1, width / 64), 64, 64));
    }

    /**
     * Measures the host backend with {@code ranks} devices of {@code computeThreads} threads running at once, every
     * kernel at {@code job}'s shapes:
     * <ul>
     *   <li>the GEMM rate over {@code job}'s weight shapes (each counts equally: at each row count the rate is total
     *       flops / total time) at {@link #GEMM_ROWS} rows, as a table of efficiencies
     *       ({@link HardwareProfile#gemmRowsEfficiency()}); the weights rotate through copies larger than a CPU's
     *       caches, as a job's layers stream theirs;</li>
     *   <li>each element-wise kernel the layers call ({@link #ELEMENTWISE}) at two row counts of {@code job}'s
     *       width, split into a rate ({@code kernel.NAME.gbps}) and a fixed time per call
     *       ({@code kernel.NAME.us});</li>
     *   <li>fused attention at two lengths of {@code job}'s heads, split into an efficiency relative to the GEMM rate
     *       ({@link HardwareProfile#attentionEfficiency()}) and a fixed time per call;</li>
     *   <li>memory bandwidth, per-operation overhead, the host's and a stream's wake-up after a wait, compute's
     *       slow-down while communication runs, how much faster one device computes alone, and how much of the
     *       host's own work the devices lose ({@link HardwareProfile#hostSteal()}).</li>
     * </ul>
     *
     * @param link           the emulated link the host run uses (null: 10 GB/s, 20 us)
     * @param ranks          devices measured at once
     * @param computeThreads compute threads of each device
     * @param job            the shapes the job runs
     * @return the measured profile
     */
    public static HardwareProfile measure(LinkEmulation link, int ranks, int computeThreads, HostWorkload job) {
        int[][] weights = job.linearWeights();
        LinkEmulation l = link != null ? link : new LinkEmulation(10, 20);
        RuntimeOptions options = RuntimeOptions.defaults().withBackend("host").withDeviceCount(ranks)
                .withComputeThreads(computeThreads);
        try (TandemRuntime rt = TandemRuntime.open(options)) {
            Map<Integer, Double> rates = new TreeMap<>();
            for (int rows : GEMM_ROWS) {
                rates.put(rows, gemmFlopsPerNano(rt, ranks, rows, weights));
            }
            double small = rates.get(16);
            double large = rates.get(256);
            // rate(m) = P m / (m + h)  =>  1/rate = 1/P + (h/P) / m: a line in 1/m through two measurements, kept as
            // the profile's curve (the table below is what the simulation costs with)
            double slope = (1 / small - 1 / large) / (1.0 / 16 - 1.0 / 256);
            double invPeak = Math.max(1e-9, 1 / large - slope / 256);
            double halfRows = Math.max(0, slope / invPeak);
            double peakFlopsPerNano = Collections.max(rates.values());
            Map<Integer, Double> efficiency = new TreeMap<>();
            rates.forEach((rows, rate) -> efficiency.put(rows, rate / peakFlopsPerNano));
            double bytesPerNano = bandwidth(rt, ranks);
            double launchMicros = overheadMicros(rt, ranks);
            Map<String, Double> kernelGBps = new TreeMap<>();
            Map<String, Double> kernelMicros = new TreeMap<>();
            for (String kernel : ELEMENTWISE) {
                KernelFit fit = HostKernelRates.elementwise(rt, ranks, kernel, job.width());
                kernelGBps.put(kernel, fit.rate());
                kernelMicros.put(kernel, fit.fixedMicros());
            }
            // attention's products as the cost model prices them: 2 h (visible pairs) (dq + dv) flops at the GEMM
            // rate for n rows
            CostModel atGemmRate = new CostModel(new HardwareProfile("host", "", Map.of("f32", peakFlopsPerNano / 1e3,
                    "bf16", peakFlopsPerNano / 1e3), 1.0, halfRows, bytesPerNano, 1.0, 1, 1, 1, 1, 1, Map.of(), 0, 0, 0,
                    1, 0, 0, Map.of(), 0, efficiency, Map.of(), 1), "f32");
            KernelFit attention = HostKernelRates.attention(rt, ranks, job, atGemmRate);
            kernelMicros.put("attention", attention.fixedMicros());
            double wakeMicros = ranks < 2 ? 0 : LoadedHostMeasurements.hostWakeMicros(rt, ranks, l, weights, large);
            double streamWakeMicros = LoadedHostMeasurements.streamWakeMicros(rt, ranks, weights);
            double commSlowdown = ranks < 2 ? 0 : LoadedHostMeasurements.commSlowdown(rt, ranks, l, weights);
            // the same products on one device while the others idle: how much the devices share the cores
            double aloneSpeedup = ranks < 2 ? 0 : Math.max(0, gemmFlopsPerNano(rt, 1, 256, weights) / large - 1);
            double hostSteal = HostSteal.measure(rt, ranks, weights);
            return new HardwareProfile("host", "this machine's host backend, measured (" + ranks + " devices x "
                    + computeThreads + " threads), emulated link " + l.bandwidthGBps() + " GB/s + "
                    + l.latencyMicros() + " us", Map.of("f32", peakFlopsPerNano / 1e3, "bf16", peakFlopsPerNano / 1e3),
                    1.0, halfRows, bytesPerNano, 1.0, Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                    l.bandwidthGBps(), l.latencyMicros(), l.bandwidthGBps(), l.latencyMicros(), Map.of(),
                    launchMicros, commSlowdown, 0, Math.max(ranks, 1) * 1024, wakeMicros, streamWakeMicros,
                    kernelGBps, aloneSpeedup, efficiency, kernelMicros, attention.rate(), hostSteal,
                    HostBackend.streamParkNanos() / 1e3, false, Map.of());
        }
    }

    /**
     * F32 linear layers [m,k] x [n,k]^T over all {@code weights}: flops per nanosecond per device, all devices at
     * once. The weights rotate through enough copies to exceed a CPU's caches ({@link #STREAMED_BYTES}).
     */
    private static double gemmFlopsPerNano(TandemRuntime rt, int ranks, int m, int[][] weights) {
        int reps = Math.max(2, 1024 / m);
        double flops = 0;
        long weightBytes = 0;
        for (int[] w : weights) {
            flops += 2.0 * m * w[0] * w[1] * reps;
            weightBytes += 4L * w[0] * w[1];
        }
        int copies = (int) Math.max(1, Math.min(reps, STREAMED_BYTES / Math.max(1, weightBytes)));
        double nanos = timeOnAll(rt, ranks, (dev, s) -> {
            List<Runnable> products = new ArrayList<>();
            for (int c = 0; c < copies; c++) {
                for (int[] w : weights) {
                    products.add(LoadedHostMeasurements.linearLayer(dev, s, m, w));
                }
            }
            s.synchronize();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    int copy = i % copies;
                    for (int w = 0; w < weights.length; w++) {
                        products.get(copy * weights.length + w).run();
                    }
                }
            };
        });
        return flops / nanos;
    }

    private static double bandwidth(TandemRuntime rt, int ranks) {
        int n = 1 << 20;
        int reps = 4;
        double nanos = timeOnAll(rt, ranks, (dev, s) -> {
            Tensor a = Tensor.allocate(dev, s, DType.F32, n);
            Tensor b = Tensor.allocate(dev, s, DType.F32, n);
            Tensor c = Tensor.allocate(dev, s, DType.F32, n);
            Kernels ker = dev.kernels();
            ker.fill(s, a, 1);
            ker.fill(s, b, 2);
            s.synchronize();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    ker.add(s, a, b, c);
                }
            };
        });
        return 3.0 * 4 * n * reps / nanos;
    }

    /**
     * Host time per operation as a layer issues them: each writes a new temporary, which is freed after use (its
     * zeroing is charged apart, by size), on every device at once.
     */
    private static double overheadMicros(TandemRuntime rt, int ranks) {
        int reps = 2000;   // tens of milliseconds: one preemption of a few must not decide the figure
        double nanos = timeOnAll(rt, ranks, (dev, s) -> {
            Tensor a = Tensor.allocate(dev, s, DType.F32, 8);
            Kernels ker = dev.kernels();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    Tensor out = Tensor.allocate(dev, s, DType.F32, 8);
                    ker.add(s, a, a, out);
                    out.buffer().close();
                }
            };
        });
        return nanos / reps / 1e3;
    }

    /** Prepares one device's work on its stream and returns what enqueues it. */
    interface Setup {
        Runnable prepare(Device device, Stream stream);
    }

    /**
     * Median of three timed runs of the prepared work on all devices at once (a thread per device, released
     * together), nanoseconds.
     */
    static double timeOnAll(TandemRuntime rt, int ranks, Setup setup) {
        List<Stream> streams = new ArrayList<>();
        List<Runnable> work = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            Device dev = rt.device(r);
            Stream s = dev.createStream("measure");
            streams.add(s);
            work.add(setup.prepare(dev, s));
        }
        double[] times = new double[3];
        for (int rep = -1; rep < 3; rep++) {
            long took = RankThreads.together(ranks, "tandem-measure", r -> {
                work.get(r).run();
                streams.get(r).synchronize();
            });
            if (rep >= 0) {
                times[rep] = took;
            }
        }
        Arrays.sort(times);
        return times[1];
    }
}
