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

/**
 * Host GEMM at DeepSeek-like shapes, per implementation ({@code impl}: the CBLAS library through FFM, the Vector API
 * Java GEMM, the scalar Java GEMM) and weight dtype ({@code weight}: F32, or BF16 converted panel by panel inside
 * the GEMM). Floating-point operations are an auxiliary counter in throughput mode, so the {@code gflop} row reads
 * as GFLOP/s (compare with {@link BlasGemmBenchmarks}, OpenBLAS called directly, on the same machine). The
 * {@code blas} rows fail at setup when no CBLAS library is found.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
public class GemmBenchmarks {

    /** m x k x n: tiny-v3 attention projections, an expert's up-projection, and a square cache-stress case. */
    @Param({"64x512x1344", "256x512x128", "512x512x512"})
    public String gemm;

    @Param({"1", "2"})
    public int threads;

    /** The host GEMM (runtime property host.gemm). */
    @Param({"blas", "java-vector", "java-scalar"})
    public String impl;

    /** Storage of the weight operand b. */
    @Param({"f32", "bf16"})
    public String weight;

    private TandemRuntime runtime;
    private Device dev;
    private Stream stream;
    private Tensor a;
    private Tensor b;
    private Tensor c;
    private long flops;

    /** Billions of floating-point operations; per second in the results, so GFLOP/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public double gflop;
    }

    @Setup(Level.Trial)
    public void open() {
        String[] p = gemm.split("x");
        int m = Integer.parseInt(p[0]);
        int k = Integer.parseInt(p[1]);
        int n = Integer.parseInt(p[2]);
        runtime = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withComputeThreads(threads)
                .withProperty("host.gemm", impl));
        dev = runtime.device(0);
        stream = dev.createStream("compute");
        a = Tensor.allocate(dev, stream, DType.F32, m, k);
        b = Tensor.allocate(dev, stream, weight.equals("bf16") ? DType.BF16 : DType.F32, n, k);
        c = Tensor.allocate(dev, stream, DType.F32, m, n);
        dev.kernels().fill(stream, a, 0.5);
        dev.kernels().fill(stream, b, 0.25);
        stream.synchronize();
        flops = 2L * m * n * k;
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
    }

    /** {@code c = a b^T}, the shape of a linear layer. */
    @Benchmark
    public void linear(Flops work) {
        dev.kernels().linear(stream, a, b, c);
        stream.synchronize();
        work.gflop += flops / 1e9;
    }

}
