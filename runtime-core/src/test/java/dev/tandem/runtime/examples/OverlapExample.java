package dev.tandem.runtime.examples;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.OverlapMetrics;
import dev.tandem.runtime.trace.TimelineSvg;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Two ranks each compute a chain of matmuls and all-reduce every result over an <b>emulated</b> link. Run once with
 * everything on the compute stream, once with each all-reduce on a communication stream that waits (through an
 * event) only for the matmul it needs, so the next matmul overlaps the transfer. Prints both times and writes a
 * Chrome trace of the overlapped run.
 *
 * <p>Arguments: {@code [chunks] [size] [bandwidthGBps] [latencyMicros] [trace.json]}.
 */
public final class OverlapExample {
    private OverlapExample() {
    }

    public static void main(String[] args) throws Exception {
        int chunks = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        double bandwidth = args.length > 2 ? Double.parseDouble(args[2]) : 0.05;
        double latency = args.length > 3 ? Double.parseDouble(args[3]) : 200;
        Path trace = Path.of(args.length > 4 ? args[4] : "trace.json");
        int ranks = 2;
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(ranks)
                .withComputeThreads(1).withTracing(true))) {
            LinkEmulation link = new LinkEmulation(bandwidth, latency);
            List<Communicator> comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults().withLink(link));
            List<Rank> all = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                all.add(new Rank(rt.device(r), comms.get(r), chunks, size, r));
            }
            System.out.printf(Locale.ROOT, "%d ranks, %d chunks of %dx%d matmul + all-reduce of %d kB each over an "
                    + "emulated %.3f GB/s, %.0f us link%n", ranks, chunks, size, size, size * size * 4 / 1000, bandwidth, latency);
            for (int w = 0; w < 3; w++) {                      // warm-up: let the JIT compile the kernels
                run(all, w % 2 == 0);
            }
            long sequential = run(all, false);
            rt.tracer().clear();
            long overlapped = run(all, true);
            rt.tracer().writeChromeTrace(trace);
            var spans = rt.tracer().spans();
            Path svg = trace.resolveSibling("timeline.svg");
            TimelineSvg.write(spans, svg, "OverlapExample: matmul on compute, all-reduce on comm", 1400);
            OverlapMetrics m = OverlapMetrics.of(0, spans.stream().filter(sp -> sp.device() == 0).toList());
            float[] a = all.get(0).result();
            float[] b = all.get(1).result();
            System.out.printf(Locale.ROOT, "sequential (one stream)      %8.1f ms%n", sequential / 1e6);
            System.out.printf(Locale.ROOT, "overlapped (compute + comm)  %8.1f ms   speed-up %.2fx%n", overlapped / 1e6,
                    (double) sequential / overlapped);
            System.out.println("ranks agree after all-reduce: " + Arrays.equals(a, b));
            System.out.printf(Locale.ROOT, "rank 0: compute %.1f ms, comm %.1f ms, %.0f%% of comm hidden, ideal max(C,M) %.1f ms%n",
                    m.computeNanos() / 1e6, m.commNanos() / 1e6, m.hiddenPercent(), m.idealNanos() / 1e6);
            System.out.println("timeline written to " + svg.toAbsolutePath());
            System.out.println("trace written to " + trace.toAbsolutePath() + " (open it in Perfetto or chrome://tracing)");
        }
    }

    private static long run(List<Rank> ranks, boolean overlap) {
        long start = System.nanoTime();
        for (Rank r : ranks) {
            r.issue(overlap);
        }
        for (Rank r : ranks) {
            r.compute.synchronize();
            r.comm.synchronize();
        }
        return System.nanoTime() - start;
    }

    /** One rank: its streams, inputs and one output per chunk. */
    private static final class Rank {
        final Device device;
        final Communicator communicator;
        final Stream compute;
        final Stream comm;
        final Tensor weight;
        final List<Tensor> inputs = new ArrayList<>();
        final List<Tensor> outputs = new ArrayList<>();
        final List<Event> ready = new ArrayList<>();

        Rank(Device device, Communicator communicator, int chunks, int size, int rank) {
            this.device = device;
            this.communicator = communicator;
            this.compute = device.createStream(StreamOptions.compute("compute"));
            this.comm = device.createStream(StreamOptions.comm("comm"));
            Random random = new Random(rank);
            this.weight = Tensor.allocate(device, compute, DType.F32, size, size);
            compute.upload(values(random, size * size), weight);
            for (int c = 0; c < chunks; c++) {
                Tensor in = Tensor.allocate(device, compute, DType.F32, size, size);
                compute.upload(values(random, size * size), in);
                inputs.add(in);
                outputs.add(Tensor.allocate(device, compute, DType.F32, size, size));
                ready.add(device.createEvent());
            }
            comm.waitStream(compute);   // buffers are allocated in the compute stream's order
        }

        void issue(boolean overlap) {
            Stream reduceOn = overlap ? comm : compute;
            for (int c = 0; c < inputs.size(); c++) {
                compute.traceTag("chunk" + c);
                device.kernels().matmul(compute, inputs.get(c), weight, outputs.get(c));
                if (overlap) {
                    compute.record(ready.get(c));
                    comm.waitEvent(ready.get(c));
                }
                reduceOn.traceTag("chunk" + c);
                communicator.allReduce(reduceOn, outputs.get(c), outputs.get(c), ReduceOp.SUM);
            }
            if (overlap) {
                compute.waitStream(comm);   // the next run may overwrite outputs only after they are reduced
            }
        }

        float[] result() {
            return compute.readFloats(outputs.getLast());
        }

        private static float[] values(Random random, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) random.nextGaussian() * 0.05f;
            }
            return v;
        }
    }
}
