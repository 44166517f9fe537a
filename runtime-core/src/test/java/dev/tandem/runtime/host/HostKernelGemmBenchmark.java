package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Tensor;

import java.util.Random;

/**
 * Prints matmul throughput for a quick look at the host GEMM's speed; not a test, and nothing asserts timing.
 * Run from runtime-core with the test class path, e.g.
 * {@code java -cp target/classes:target/test-classes dev.tandem.runtime.host.HostKernelGemmBenchmark 512 1}.
 */
public final class HostKernelGemmBenchmark {
    private HostKernelGemmBenchmark() {
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        try (HostKernelTestBench bench = new HostKernelTestBench(threads)) {
            Random random = new Random(1);
            for (boolean transposeB : new boolean[] {false, true}) {
                Tensor a = bench.tensor(DType.F32, size, size);
                Tensor b = bench.tensor(DType.F32, size, size);
                Tensor c = bench.tensor(DType.F32, size, size);
                float[] values = new float[size * size];
                for (int i = 0; i < values.length; i++) {
                    values[i] = random.nextFloat() - 0.5f;
                }
                bench.write(a, values);
                bench.write(b, values);
                double best = Double.MAX_VALUE;
                for (int rep = 0; rep < 10; rep++) {
                    long t0 = System.nanoTime();
                    bench.kernels.matmul(bench.stream, a, false, b, transposeB, c);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                double gflops = 2.0 * size * size * size / best / 1e9;
                System.out.printf("matmul %dx%dx%d transposeB=%s threads=%d: %.2f GFLOP/s (best of 10, %.1f ms)%n",
                        size, size, size, transposeB, threads, gflops, best * 1e3);
            }
        }
    }
}
