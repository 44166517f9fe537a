package dev.tandem.runtime.sim;

import dev.tandem.runtime.Device;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.TandemRuntime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The host profile's {@link HardwareProfile#hostSteal()}: how much of the host's own work the devices' kernels lose
 * to it. On a CPU with no core to spare, a rank's host thread (issuing operations, zeroing new buffers) runs on a
 * core a compute thread wanted, and the kernels wait that long; with spare cores they lose nothing. Measured, never
 * assumed: every device runs linear layers alone, then again while a host thread per rank spins through a fixed loop
 * that takes {@code h} on an idle core; the steal is the devices' extra time over {@code h}.
 */
final class HostSteal {
    /** Linear layers each device runs per measurement. */
    private static final int PRODUCTS = 24;
    private static final int ROWS = 128;
    /** Written by the spin loops, so that the JIT keeps them. */
    private static volatile long sink;

    private HostSteal() {
    }

    /** (with host work - without) / h, median of three rounds, between 0 and 1. */
    static double measure(TandemRuntime rt, int ranks, int[][] weights) {
        int[] w = LoadedHostMeasurements.largest(weights);
        double[] ratios = new double[3];
        for (int round = 0; round < ratios.length; round++) {
            double alone = computeWith(rt, ranks, w, 0);
            // host work of about half the devices' time, so that it ends before they do
            long iterations = iterationsFor(alone / 2);
            double spin = spinAlone(iterations);
            double busy = computeWith(rt, ranks, w, iterations);
            ratios[round] = (busy - alone) / spin;
        }
        Arrays.sort(ratios);
        return Math.clamp(ratios[1], 0, 1);
    }

    /** Nanoseconds until every device ran its linear layers while a thread per rank spins {@code iterations}. */
    private static double computeWith(TandemRuntime rt, int ranks, int[] w, long iterations) {
        List<Thread> spinners = new ArrayList<>();
        long took = RankThreads.together(ranks, "tandem-measure", rank -> {
            Device dev = rt.device(rank);
            try (Stream stream = dev.createStream("measure-steal")) {
                Runnable product = LoadedHostMeasurements.linearLayer(dev, stream, ROWS, w);
                stream.synchronize();
                if (iterations > 0) {
                    synchronized (spinners) {
                        spinners.add(Thread.ofPlatform().name("tandem-measure-host-" + rank)
                                .start(() -> spin(iterations)));
                    }
                }
                for (int i = 0; i < PRODUCTS; i++) {
                    product.run();
                }
                stream.synchronize();
            }
        });
        for (Thread t : spinners) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring", e);
            }
        }
        return took;
    }

    /** Spin iterations that take about {@code nanos} on an idle core. */
    private static long iterationsFor(double nanos) {
        long probe = 1 << 20;
        spin(probe);   // compiled before it is timed
        double perIteration = spinAlone(probe) / probe;
        return Math.max(1, (long) (nanos / perIteration));
    }

    /** Nanoseconds {@code iterations} take on this thread, the devices idle. */
    private static double spinAlone(long iterations) {
        long start = System.nanoTime();
        spin(iterations);
        return System.nanoTime() - start;
    }

    /** Arithmetic without memory traffic, like the host's bookkeeping between operations. */
    private static void spin(long iterations) {
        long x = 0x9E3779B97F4A7C15L;
        for (long i = 0; i < iterations; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        sink = x;
    }
}
