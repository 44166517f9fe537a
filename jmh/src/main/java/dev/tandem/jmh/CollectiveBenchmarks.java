package dev.tandem.jmh;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Latency and bandwidth of collectives across in-process ranks (no emulated link: this measures the runtime's
 * own rendezvous and copy costs). Every invocation synchronises all ranks' streams.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CollectiveBenchmarks {

    @Param({"2", "4"})
    public int ranks;

    /** Elements per rank: 2 is a latency probe, 1M (4 MB) a bandwidth probe. */
    @Param({"2", "1048576"})
    public int elements;

    private TandemRuntime runtime;
    private final List<Stream> streams = new ArrayList<>();
    private final List<Communicator> comms = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final List<Tensor> exchanged = new ArrayList<>();

    /** Megabytes each rank contributes; per second in the results, so MB/s per rank. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Moved {
        public double megabytes;
    }

    @Setup(Level.Trial)
    public void open() {
        runtime = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(ranks).withComputeThreads(1));
        comms.addAll(runtime.createCommunicators(runtime.devices()));
        for (int r = 0; r < ranks; r++) {
            var dev = runtime.device(r);
            Stream s = dev.createStream(StreamOptions.comm("comm"));
            streams.add(s);
            Tensor t = Tensor.allocate(dev, s, DType.F32, (long) elements * ranks);
            dev.kernels().fill(s, t, 1.0);
            tensors.add(t);
            exchanged.add(Tensor.allocate(dev, s, DType.F32, (long) elements * ranks));
        }
        streams.forEach(Stream::synchronize);
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
    }

    @Benchmark
    public void allReduce(Moved moved) {
        for (int r = 0; r < ranks; r++) {
            Tensor t = tensors.get(r).slice(0, 0, elements);
            comms.get(r).allReduce(streams.get(r), t, t, ReduceOp.SUM);
        }
        streams.forEach(Stream::synchronize);
        moved.megabytes += 4.0 * elements / 1e6;
    }

    @Benchmark
    public void allToAll(Moved moved) {
        for (int r = 0; r < ranks; r++) {
            comms.get(r).allToAll(streams.get(r), tensors.get(r), exchanged.get(r));
        }
        streams.forEach(Stream::synchronize);
        moved.megabytes += 4.0 * elements * ranks / 1e6;
    }
}
