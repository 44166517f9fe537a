package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Tensor;

import java.util.Random;

/**
 * Prints matmul throughput for a quick look at the host GEMM's speed; not a test, and nothing asserts timing.
 * Run from runtime-core with the test class path, e.g.
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dtandem.gemm=auto
 * -cp target/classes:target/test-classes dev.tandem.runtime.host.HostKernelGemmBenchmark 512 1}.
 */
public final class HostKernelGemmBenchmark {
    private HostKernelGemmBenchmark() {
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        try (HostKernelTestBench bench = new HostKernelTestBench(threads, HostGemms.select(null))) {
            System.out.println("GEMM: " + bench.kernels.gemm().description());
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
            // Decode-shaped linear layers: a few token rows against a BF16 weight stored [out, in].
            int features = 8 * size;
            for (int rows : new int[] {1, 8, 64}) {
                Tensor x = bench.tensor(DType.F32, rows, features);
                Tensor w = bench.tensor(DType.BF16, features, features);
                Tensor y = bench.tensor(DType.F32, rows, features);
                float[] values = new float[features * features];
                for (int i = 0; i < values.length; i++) {
                    values[i] = random.nextFloat() - 0.5f;
                }
                bench.write(w, values);
                bench.write(x, java.util.Arrays.copyOf(values, rows * features));
                double best = Double.MAX_VALUE;
                for (int rep = 0; rep < 5; rep++) {
                    long t0 = System.nanoTime();
                    bench.kernels.linear(bench.stream, x, w, y);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                double gflops = 2.0 * rows * features * features / best / 1e9;
                System.out.printf("linear %dx%d by BF16 [%d, %d] threads=%d: %.2f GFLOP/s (best of 5, %.1f ms)%n",
                        rows, features, features, features, threads, gflops, best * 1e3);
            }
        }
    }
}
