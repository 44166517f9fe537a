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

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A {@link HardwareProfile} for the running machine, measured from the host backend's own kernels: F32 GEMM rate
 * at two row counts (fitting peak and half-efficiency rows), element-wise bandwidth, SwiGLU's rate (bound by its
 * exponentials on a CPU) and per-operation overhead, each measured with {@code ranks} devices busy at once (they
 * share the CPU, as they do in a host run); the host's wake-up after a blocking count exchange and a stream's after
 * waiting for another, while the devices compute ({@link HardwareProfile#hostWakeMicros()},
 * {@link HardwareProfile#streamWakeMicros()}); how much faster the GEMMs run on one device while the others idle
 * ({@link HardwareProfile#aloneSpeedup()}: the devices share the CPU's cores); and the emulated
 * {@link LinkEmulation} as the interconnect.
 * Never fitted to an overlap result.
 */
public final class HostProfile {
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
        LinkEmulation l = link != null ? link : new LinkEmulation(10, 20);
        RuntimeOptions options = RuntimeOptions.defaults().withBackend("host").withDeviceCount(ranks)
                .withComputeThreads(computeThreads);
        try (TandemRuntime rt = TandemRuntime.open(options)) {
            double small = gemmFlopsPerNano(rt, ranks, 16, weights);
            double large = gemmFlopsPerNano(rt, ranks, 256, weights);
            // rate(m) = P m / (m + h)  =>  1/rate = 1/P + (h/P) / m: a line in 1/m through the two measurements
            double slope = (1 / small - 1 / large) / (1.0 / 16 - 1.0 / 256);
            double invPeak = Math.max(1e-9, 1 / large - slope / 256);
            double peakFlopsPerNano = 1 / invPeak;
            double halfRows = Math.max(0, slope * peakFlopsPerNano);
            double bytesPerNano = bandwidth(rt, ranks);
            double launchMicros = overheadMicros(rt, ranks);
            double swigluBytesPerNano = swigluRate(rt, ranks);
            double wakeMicros = ranks < 2 ? 0 : LoadedHostMeasurements.hostWakeMicros(rt, ranks, l, weights, large);
            double streamWakeMicros = LoadedHostMeasurements.streamWakeMicros(rt, ranks, weights);
            double commSlowdown = ranks < 2 ? 0 : LoadedHostMeasurements.commSlowdown(rt, ranks, l, weights);
            // the same products on one device while the others idle: how much the devices share the cores
            double aloneSpeedup = ranks < 2 ? 0 : Math.max(0, gemmFlopsPerNano(rt, 1, 256, weights) / large - 1);
            return new HardwareProfile("host", "this machine's host backend, measured (" + ranks + " devices x "
                    + computeThreads + " threads), emulated link " + l.bandwidthGBps() + " GB/s + "
                    + l.latencyMicros() + " us", Map.of("f32", peakFlopsPerNano / 1e3, "bf16", peakFlopsPerNano / 1e3),
                    1.0, halfRows, bytesPerNano, 1.0, Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                    l.bandwidthGBps(), l.latencyMicros(), l.bandwidthGBps(), l.latencyMicros(), Map.of(),
                    launchMicros, commSlowdown, 0, Math.max(ranks, 1) * 1024, wakeMicros, streamWakeMicros,
                    Map.of("swiglu", swigluBytesPerNano), aloneSpeedup);
        }
    }

    /** F32 linear layers [m,k] x [n,k]^T over all {@code weights}: flops per nanosecond per device, all devices at once. */
    private static double gemmFlopsPerNano(TandemRuntime rt, int ranks, int m, int[][] weights) {
        int reps = Math.max(2, 1024 / m);
        double flops = 0;
        for (int[] w : weights) {
            flops += 2.0 * m * w[0] * w[1] * reps;
        }
        double nanos = timeOnAll(rt, ranks, (dev, s) -> {
            List<Runnable> products = new ArrayList<>();
            for (int[] w : weights) {
                products.add(LoadedHostMeasurements.linearLayer(dev, s, m, w));
            }
            s.synchronize();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    products.forEach(Runnable::run);
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
     * SwiGLU as the MoE layers call it ({@code [rows, 2 I] -> [rows, I]}): bound by its exponentials on a CPU, not
     * by memory, so the bandwidth of {@code add} would cost it several times too cheap. Bytes moved per nanosecond.
     */
    private static double swigluRate(TandemRuntime rt, int ranks) {
        int rows = 256;
        int width = 512;
        int reps = 8;
        double nanos = timeOnAll(rt, ranks, (dev, s) -> {
            Tensor x = Tensor.allocate(dev, s, DType.F32, rows, 2 * width);
            Tensor y = Tensor.allocate(dev, s, DType.F32, rows, width);
            Kernels ker = dev.kernels();
            ker.fill(s, x, 0.5);
            s.synchronize();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    ker.swiglu(s, x, -1, y);
                }
            };
        });
        return 3.0 * 4 * rows * width * reps / nanos;
    }

    private static double overheadMicros(TandemRuntime rt, int ranks) {
        int reps = 400;
        double nanos = timeOnAll(rt, ranks, (dev, s) -> {
            Tensor a = Tensor.allocate(dev, s, DType.F32, 8);
            Kernels ker = dev.kernels();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    ker.fill(s, a, i);
                }
            };
        });
        return nanos / reps / 1e3;
    }

    private interface Setup {
        Runnable prepare(Device device, Stream stream);
    }

    /**
     * Median of three timed runs of the prepared work on all devices at once (a thread per device, released
     * together), nanoseconds.
     */
    private static double timeOnAll(TandemRuntime rt, int ranks, Setup setup) {
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
