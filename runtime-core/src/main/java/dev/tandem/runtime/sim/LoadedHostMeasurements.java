package dev.tandem.runtime.sim;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host profile's measurements of the host under overlap-like load: while every rank computes, how long the host
 * thread and a stream take to wake up after a wait, and how much communication slows the computing. On a CPU the
 * threads that wait and communicate compete with the compute threads for cores, which an accelerator's hardware
 * queues do not.
 */
final class LoadedHostMeasurements {
    private LoadedHostMeasurements() {
    }

    /**
     * The host's wake-up after a blocking count exchange while every device computes, as an MoE layer waits for
     * its routed counts: each rank keeps its compute stream busy with linear layers of the largest measured shape,
     * and its host thread repeatedly all-gathers a small I32 tensor over the emulated link on a second stream,
     * downloads it and waits. An iteration's time beyond the link's charge is the stream and host threads waking
     * up, the rendezvous, and the peers' skew on a CPU the compute threads keep busy: mean over ranks and
     * iterations, in microseconds.
     */
    static double hostWakeMicros(TandemRuntime rt, int ranks, LinkEmulation link, int[][] weights,
                                     double gemmFlopsPerNano) {
        int[] w = largest(weights);
        int rows = 256;
        int iterations = 24;
        int width = 16;
        double gemmNanos = 2.0 * rows * w[0] * w[1] / gemmFlopsPerNano;
        // enough queued work to keep the compute streams busy through every iteration (a few ms each)
        int gemms = (int) Math.max(8, Math.min(2000, Math.ceil(iterations * 10e6 / gemmNanos)));
        long charge = link.transferNanos((ranks - 1L) * width * 4);
        var comms = rt.createCommunicators(rt.devices().subList(0, ranks),
                CommunicatorOptions.defaults().withLink(link));
        double[] overhead = new double[ranks * iterations];
        int[] wk = w;
        try {
            RankThreads.together(ranks, "tandem-measure", rank -> {
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
            });
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
    static double streamWakeMicros(TandemRuntime rt, int ranks, int[][] weights) {
        int[] w = largest(weights);
        int rows = 128;
        int products = 12;
        long[][] woke = new long[ranks][products];
        rt.tracer().clear();
        rt.tracer().enable();
        List<String> producers = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            producers.add("measure-wake-producer-" + r);
        }
        RankThreads.together(ranks, "tandem-measure", rank -> {
            Device dev = rt.device(rank);
            try (Stream compute = dev.createStream(producers.get(rank));
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
        });
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
    static double commSlowdown(TandemRuntime rt, int ranks, LinkEmulation link, int[][] weights) {
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
        RankThreads.together(ranks, "tandem-measure", rank -> {
            Device dev = rt.device(rank);
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
        });
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
    static Runnable linearLayer(Device dev, Stream s, int rows, int[] w) {
        Tensor a = Tensor.allocate(dev, s, DType.F32, rows, w[0]);
        Tensor b = Tensor.allocate(dev, s, DType.F32, w[1], w[0]);
        Tensor c = Tensor.allocate(dev, s, DType.F32, rows, w[1]);
        Kernels ker = dev.kernels();
        ker.fill(s, a, 0.5);
        ker.fill(s, b, 0.25);
        return () -> ker.linear(s, a, b, c);
    }

    static int[] largest(int[][] weights) {
        int[] w = weights[0];
        for (int[] x : weights) {
            if ((long) x[0] * x[1] > (long) w[0] * w[1]) {
                w = x;
            }
        }
        return w;
    }
}
