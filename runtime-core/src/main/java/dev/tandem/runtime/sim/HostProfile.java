package dev.tandem.runtime.sim;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link HardwareProfile} for the running machine, measured from the host backend's own kernels: F32 GEMM rate
 * at two row counts (fitting peak and half-efficiency rows), element-wise bandwidth, SwiGLU's rate (bound by its
 * exponentials on a CPU) and per-operation overhead, each measured with {@code ranks} devices busy at once (they
 * share the CPU, as they do in a host run); the host's wake-up after a blocking count exchange and a stream's after
 * waiting for another, while the devices compute ({@link HardwareProfile#hostWakeMicros()},
 * {@link HardwareProfile#streamWakeMicros()}); and the emulated {@link LinkEmulation} as the interconnect.
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
            double wakeMicros = ranks < 2 ? 0 : wakeMicros(rt, ranks, l, weights, large);
            double streamWakeMicros = streamWakeMicros(rt, ranks, weights, large);
            double commSlowdown = ranks < 2 ? 0 : commSlowdown(rt, ranks, l, weights);
            return new HardwareProfile("host", "this machine's host backend, measured (" + ranks + " devices x "
                    + computeThreads + " threads), emulated link " + l.bandwidthGBps() + " GB/s + "
                    + l.latencyMicros() + " us", Map.of("f32", peakFlopsPerNano / 1e3, "bf16", peakFlopsPerNano / 1e3),
                    1.0, halfRows, bytesPerNano, 1.0, Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                    l.bandwidthGBps(), l.latencyMicros(), l.bandwidthGBps(), l.latencyMicros(), Map.of(),
                    launchMicros, commSlowdown, 0, Math.max(ranks, 1) * 1024, wakeMicros, streamWakeMicros,
                    Map.of("swiglu", swigluBytesPerNano));
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
                products.add(linearLayer(dev, s, m, w));
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

    /**
     * The host's wake-up after a blocking count exchange while every device computes, as an MoE layer waits for
     * its routed counts: each rank keeps its compute stream busy with linear layers of the largest measured shape,
     * and its host thread repeatedly all-gathers a small I32 tensor over the emulated link on a second stream,
     * downloads it and waits. An iteration's time beyond the link's charge is the stream and host threads waking
     * up, the rendezvous, and the peers' skew on a CPU the compute threads keep busy: mean over ranks and
     * iterations, in microseconds.
     */
    private static double wakeMicros(TandemRuntime rt, int ranks, LinkEmulation link, int[][] weights,
                                     double gemmFlopsPerNano) {
        int[] w = largest(weights);
        int rows = 256;
        int iterations = 12;
        int width = 16;
        double gemmNanos = 2.0 * rows * w[0] * w[1] / gemmFlopsPerNano;
        // enough queued work to keep the compute streams busy through every iteration (a few ms each)
        int gemms = (int) Math.max(8, Math.min(2000, Math.ceil(iterations * 10e6 / gemmNanos)));
        long charge = link.transferNanos((ranks - 1L) * width * 4);
        var comms = rt.createCommunicators(rt.devices().subList(0, ranks),
                CommunicatorOptions.defaults().withLink(link));
        double[] overhead = new double[ranks * iterations];
        int[] wk = w;
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            all.add(CompletableFuture.runAsync(() -> {
                Device dev = rt.device(rank);
                try (Stream compute = dev.createStream("measure-compute");
                     Stream side = dev.createStream("measure-counts")) {
                    Runnable product = linearLayer(dev, compute, rows, wk);
                    Tensor mine = Tensor.allocate(dev, side, DType.I32, width);
                    Tensor gathered = Tensor.allocate(dev, side, DType.I32, (long) width * ranks);
                    int[] counts = new int[width * ranks];
                    comms.get(rank).allGather(side, mine, gathered);   // first rendezvous: not timed
                    side.download(gathered, counts);
                    side.synchronize();
                    compute.synchronize();
                    for (int i = 0; i < gemms; i++) {
                        product.run();
                    }
                    for (int i = 0; i < iterations; i++) {
                        long t0 = System.nanoTime();
                        comms.get(rank).allGather(side, mine, gathered);
                        side.download(gathered, counts);
                        side.synchronize();
                        overhead[rank * iterations + i] = System.nanoTime() - t0 - charge;
                    }
                    compute.synchronize();
                }
            }, task -> Thread.ofPlatform().name("tandem-measure-" + rank).start(task)));
        }
        try {
            all.forEach(CompletableFuture::join);
        } finally {
            comms.forEach(Communicator::close);
        }
        // the mean, not the median: wake-ups are bimodal (a free core at once, or the next scheduler tick), and the
        // median flips between the modes from one measurement to the next
        return Math.max(0, Arrays.stream(overhead).average().orElse(0) / 1e3);
    }

    /**
     * A stream's wake-up after waiting for another stream while every device computes, as dual-batch overlap's
     * streams wait for each other: on each device, one stream runs linear layers of the largest measured shape and
     * records an event after each; a second stream waits for each event and then runs a host callback. The time
     * from the end of a product (its trace span) to the callback is the waiting stream's thread waking up and being
     * scheduled while the compute threads keep the CPU busy: mean over devices and products, in microseconds.
     */
    private static double streamWakeMicros(TandemRuntime rt, int ranks, int[][] weights, double gemmFlopsPerNano) {
        int[] w = largest(weights);
        int rows = 128;
        int products = 12;
        long[][] woke = new long[ranks][products];
        rt.tracer().clear();
        rt.tracer().enable();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        List<String> producers = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            Device dev = rt.device(rank);
            String producer = "measure-wake-producer-" + rank;
            producers.add(producer);
            all.add(CompletableFuture.runAsync(() -> {
                try (Stream compute = dev.createStream(producer);
                     Stream waiting = dev.createStream("measure-wake-waiter-" + rank)) {
                    Runnable product = linearLayer(dev, compute, rows, w);
                    compute.synchronize();
                    List<Event> events = new ArrayList<>();
                    try {
                        for (int i = 0; i < products; i++) {
                            product.run();
                            Event e = dev.createEvent();
                            events.add(e);
                            compute.record(e);
                            waiting.waitEvent(e);
                            int index = i;
                            waiting.hostCallback(() -> woke[rank][index] = System.nanoTime());
                        }
                        compute.synchronize();
                        waiting.synchronize();
                    } finally {
                        events.forEach(Event::close);
                    }
                }
            }, task -> Thread.ofPlatform().name("tandem-measure-" + rank).start(task)));
        }
        all.forEach(CompletableFuture::join);
        rt.tracer().disable();
        List<Double> gaps = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            String producer = producers.get(r);
            List<Long> ends = rt.tracer().spans().stream()
                    .filter(span -> span.stream().equals(producer) && span.name().equals("matmul"))
                    .map(TraceSpan::endNanos).sorted().toList();
            for (int i = 0; i < Math.min(products, ends.size()); i++) {
                gaps.add(Math.max(0, woke[r][i] - ends.get(i)) / 1e3);
            }
        }
        rt.tracer().clear();
        if (gaps.isEmpty()) {
            return 0;
        }
        // the mean, as for the host's wake-up: the gaps are bimodal
        return gaps.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    /**
     * How much the devices' compute slows while their communication runs, as in dual-batch overlap: every device
     * runs the same linear layers (the largest measured shape) once alone and once while a second stream on each
     * device keeps exchanging over the emulated link as an MoE layer does (an all-gather of counts, their download,
     * which the host waits for, then an all-to-all-v), issued by another host thread. On a CPU the communication's
     * threads (stream workers, the host thread, the copies) take cores from the compute threads. Returns
     * {@code k} = time with communication / time alone - 1 (0 when not slower), the median of three alternations.
     */
    private static double commSlowdown(TandemRuntime rt, int ranks, LinkEmulation link, int[][] weights) {
        int[] w = largest(weights);
        int rows = 128;
        int products = 24;
        int exchangeRows = 64;
        var comms = rt.createCommunicators(rt.devices().subList(0, ranks), CommunicatorOptions.defaults().withLink(link));
        try {
            double[] ratios = new double[3];
            for (int round = 0; round < ratios.length; round++) {
                double alone = computeWhile(rt, ranks, w, rows, products, null, exchangeRows);
                double busy = computeWhile(rt, ranks, w, rows, products, comms, exchangeRows);
                ratios[round] = busy / alone;
            }
            Arrays.sort(ratios);
            return Math.max(0, ratios[1] - 1);
        } finally {
            comms.forEach(Communicator::close);
        }
    }

    /** Nanoseconds until every device ran {@code products} linear layers, with {@code comms} exchanging meanwhile. */
    private static double computeWhile(TandemRuntime rt, int ranks, int[] w, int rows, int products,
                                       List<Communicator> comms, int exchangeRows) {
        AtomicInteger computing = new AtomicInteger(ranks);
        long[] took = new long[ranks];
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            Device dev = rt.device(rank);
            all.add(CompletableFuture.runAsync(() -> {
                try (Stream compute = dev.createStream("measure-contention-compute");
                     Stream comm = dev.createStream("measure-contention-comm")) {
                    Runnable product = linearLayer(dev, compute, rows, w);
                    compute.synchronize();
                    CompletableFuture<Void> exchanging = comms == null ? CompletableFuture.completedFuture(null)
                            : CompletableFuture.runAsync(() -> exchange(dev, comm, comms.get(rank), ranks, exchangeRows,
                            w[0], computing), task -> Thread.ofPlatform().name("tandem-measure-comm-" + rank).start(task));
                    long start = System.nanoTime();
                    for (int i = 0; i < products; i++) {
                        product.run();
                    }
                    compute.synchronize();
                    took[rank] = System.nanoTime() - start;
                    computing.decrementAndGet();
                    exchanging.join();
                }
            }, task -> Thread.ofPlatform().name("tandem-measure-" + rank).start(task)));
        }
        all.forEach(CompletableFuture::join);
        return Arrays.stream(took).max().orElse(0);
    }

    /** An MoE layer's exchanges, round after round, until no device computes any more (every rank the same count). */
    private static void exchange(Device dev, Stream comm, Communicator communicator, int ranks, int rows, int width,
                                 AtomicInteger computing) {
        Tensor mine = Tensor.allocate(dev, comm, DType.I32, 16);
        Tensor gathered = Tensor.allocate(dev, comm, DType.I32, 16L * ranks);
        Tensor send = Tensor.allocate(dev, comm, DType.F32, (long) rows * ranks, width);
        Tensor recv = Tensor.allocate(dev, comm, DType.F32, (long) rows * ranks, width);
        long[] counts = new long[ranks];
        long[] offsets = new long[ranks];
        for (int q = 0; q < ranks; q++) {
            counts[q] = (long) rows * width;
            offsets[q] = q * counts[q];
        }
        int[] host = new int[16 * ranks];
        // Every rank runs the same number of rounds (a collective needs all of them): the decision to stop is
        // itself gathered, so all ranks see the same "someone still computes" flag.
        while (true) {
            int[] flag = {computing.get() > 0 ? 1 : 0};
            comm.upload(flag, mine.slice(0, 0, 1));
            communicator.allGather(comm, mine, gathered);
            comm.download(gathered, host);
            comm.synchronize();
            boolean any = false;
            for (int q = 0; q < ranks; q++) {
                any |= host[q * 16] != 0;
            }
            if (!any) {
                return;
            }
            communicator.allToAllV(comm, send, counts, offsets, recv, counts, offsets);
        }
    }

    /** A filled linear layer x [rows, k] times W [n, k]^T on {@code s}, as the layers call it; run() enqueues it. */
    private static Runnable linearLayer(Device dev, Stream s, int rows, int[] w) {
        Tensor a = Tensor.allocate(dev, s, DType.F32, rows, w[0]);
        Tensor b = Tensor.allocate(dev, s, DType.F32, w[1], w[0]);
        Tensor c = Tensor.allocate(dev, s, DType.F32, rows, w[1]);
        Kernels ker = dev.kernels();
        ker.fill(s, a, 0.5);
        ker.fill(s, b, 0.25);
        return () -> ker.linear(s, a, b, c);
    }

    private static int[] largest(int[][] weights) {
        int[] w = weights[0];
        for (int[] x : weights) {
            if ((long) x[0] * x[1] > (long) w[0] * w[1]) {
                w = x;
            }
        }
        return w;
    }

    private interface Setup {
        Runnable prepare(Device device, Stream stream);
    }

    /** Median of three timed runs of the prepared work on all devices at once, nanoseconds. */
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
            long start = System.nanoTime();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                Runnable w = work.get(r);
                Stream s = streams.get(r);
                all.add(CompletableFuture.runAsync(() -> {
                    w.run();
                    s.synchronize();
                }));
            }
            all.forEach(CompletableFuture::join);
            if (rep >= 0) {
                times[rep] = System.nanoTime() - start;
            }
        }
        Arrays.sort(times);
        return times[1];
    }
}
