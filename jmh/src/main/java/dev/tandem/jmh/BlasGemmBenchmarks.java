package dev.tandem.jmh;

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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The reference for {@link GemmBenchmarks}: the same linear-layer shapes and thread counts through OpenBLAS's
 * {@code cblas_sgemm}, so the host backend's GFLOP/s can be read against an optimised BLAS on the same machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BlasGemmBenchmarks {

    @Param({"64x512x1344", "256x512x128", "512x512x512"})
    public String gemm;

    @Param({"1", "2"})
    public int threads;

    /** The OpenBLAS library: a name the dynamic loader resolves, or a path. */
    @Param({"libopenblas.so.0"})
    public String blas;

    private OpenBlas openBlas;
    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;
    private int m;
    private int n;
    private int k;
    private double gflop;

    @Setup(Level.Trial)
    public void open() throws Throwable {
        String[] p = gemm.split("x");
        m = Integer.parseInt(p[0]);
        k = Integer.parseInt(p[1]);
        n = Integer.parseInt(p[2]);
        openBlas = OpenBlas.load(blas);
        openBlas.threads(threads);
        arena = Arena.ofShared();
        a = arena.allocate(4L * m * k, 64);
        b = arena.allocate(4L * n * k, 64);
        c = arena.allocate(4L * m * n, 64);
        a.elements(ValueLayout.JAVA_FLOAT).forEach(s -> s.set(ValueLayout.JAVA_FLOAT, 0, 0.5f));
        b.elements(ValueLayout.JAVA_FLOAT).forEach(s -> s.set(ValueLayout.JAVA_FLOAT, 0, 0.25f));
        gflop = 2.0 * m * n * k / 1e9;
    }

    @TearDown(Level.Trial)
    public void close() {
        arena.close();
    }

    /** {@code c = a b^T}; synchronous, so the time is the computation. */
    @Benchmark
    public void linear(GemmBenchmarks.Flops work) throws Throwable {
        openBlas.linear(m, n, k, a, b, c);
        work.gflop += gflop;
    }
}
