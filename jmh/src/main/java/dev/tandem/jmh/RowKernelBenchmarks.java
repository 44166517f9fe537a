package dev.tandem.jmh;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
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

import java.util.concurrent.TimeUnit;

/** Memory-bound host kernels (RMSNorm, softmax) over rows of a DeepSeek-like hidden size; reports GB/s. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RowKernelBenchmarks {

    @Param({"1024x512", "256x7168"})
    public String rows;

    private TandemRuntime runtime;
    private Device dev;
    private Stream stream;
    private Tensor input;
    private Tensor output;
    private Tensor weight;
    private double gigabytes;

    /** Gigabytes read plus written; per second in the results, so GB/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public double gigabytes;
    }

    @Setup(Level.Trial)
    public void open() {
        String[] p = rows.split("x");
        int n = Integer.parseInt(p[0]);
        int d = Integer.parseInt(p[1]);
        runtime = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withComputeThreads(1));
        dev = runtime.device(0);
        stream = dev.createStream("compute");
        input = Tensor.allocate(dev, stream, DType.F32, n, d);
        output = Tensor.allocate(dev, stream, DType.F32, n, d);
        weight = Tensor.allocate(dev, stream, DType.F32, d);
        dev.kernels().fill(stream, input, 0.1);
        dev.kernels().fill(stream, weight, 1.0);
        stream.synchronize();
        gigabytes = 2.0 * n * d * 4 / 1e9;
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
    }

    @Benchmark
    public void rmsNorm(Traffic traffic) {
        dev.kernels().rmsNorm(stream, input, weight, 1e-6f, output);
        stream.synchronize();
        traffic.gigabytes += gigabytes;
    }

    @Benchmark
    public void softmax(Traffic traffic) {
        dev.kernels().softmax(stream, input, output);
        stream.synchronize();
        traffic.gigabytes += gigabytes;
    }
}
