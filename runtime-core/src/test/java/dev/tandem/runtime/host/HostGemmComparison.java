package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.host.blas.Cblas;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Prints the host GEMMs against OpenBLAS's {@code cblas_sgemm} called directly (one thread), alternating them
 * round by round in one JVM so that a shared, loaded machine slows them alike; reports medians and ratios. Not a
 * test. Run from runtime-core after {@code mvn -pl runtime-core test-compile}:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
 * -cp target/classes:target/test-classes dev.tandem.runtime.host.HostGemmComparison [rounds]}.
 */
public final class HostGemmComparison {
    private HostGemmComparison() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        BlasLibrary.Status blas = BlasLibrary.load();
        if (!blas.found()) {
            System.out.println("no CBLAS library: " + blas.reason());
            return;
        }
        int[][] shapes = {{64, 512, 1344}, {256, 512, 128}, {512, 512, 512}};
        Map<String, HostGemm> gemms = new LinkedHashMap<>();
        gemms.put("tandem blas", HostGemms.select("blas"));
        gemms.put("java-vector", HostGemms.select("java-vector"));
        gemms.put("java-scalar", HostGemms.select("java-scalar"));
        System.out.println("OpenBLAS: " + blas.description() + "; 1 thread; median of " + rounds + " alternating rounds");
        System.out.println("| m x k x n | weight | OpenBLAS direct | Tandem BLAS | Java vector | Java scalar | BLAS / direct | vector / direct | scalar / direct |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        Random random = new Random(3);
        for (int[] s : shapes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            for (DType weight : new DType[] {DType.F32, DType.BF16}) {
                try (HostKernelTestBench bench = new HostKernelTestBench(1)) {
                    Tensor a = bench.tensor(DType.F32, m, k);
                    Tensor w = bench.tensor(weight, n, k);
                    Tensor w32 = bench.tensor(DType.F32, n, k);
                    Tensor c = bench.tensor(DType.F32, m, n);
                    float[] av = new float[m * k];
                    float[] wv = new float[n * k];
                    for (int i = 0; i < av.length; i++) {
                        av[i] = random.nextFloat() - 0.5f;
                    }
                    for (int i = 0; i < wv.length; i++) {
                        wv[i] = random.nextFloat() - 0.5f;
                    }
                    bench.write(a, av);
                    bench.write(w, wv);
                    bench.write(w32, wv);
                    Map<String, List<Double>> gflops = new LinkedHashMap<>();
                    double flop = 2.0 * m * n * k;
                    for (int round = 0; round < rounds + 2; round++) {
                        double direct = time(() -> direct(bench, a, w32, c, m, n, k), flop);
                        record(gflops, "direct", direct, round);
                        for (var e : gemms.entrySet()) {
                            HostKernels kernels = new HostKernels(bench.launcher, e.getValue());
                            int reps = e.getKey().equals("java-scalar") ? 1 : 5;
                            double g = 0;
                            for (int r = 0; r < reps; r++) {
                                g = Math.max(g, time(() -> kernels.linear(bench.stream, a, w, c), flop));
                            }
                            record(gflops, e.getKey(), g, round);
                        }
                    }
                    double d = median(gflops.get("direct"));
                    double b = median(gflops.get("tandem blas"));
                    double v = median(gflops.get("java-vector"));
                    double sc = median(gflops.get("java-scalar"));
                    System.out.printf(Locale.ROOT, "| %d x %d x %d | %s | %.1f | %.1f | %.1f | %.1f | %.2fx | %.2fx | %.2fx |%n",
                            m, k, n, weight, d, b, v, sc, b / d, v / d, sc / d);
                }
            }
        }
    }

    private static void record(Map<String, List<Double>> all, String key, double value, int round) {
        if (round >= 2) { // the first two rounds warm the JIT up
            all.computeIfAbsent(key, x -> new ArrayList<>()).add(value);
        }
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Best GFLOP/s of 5 back-to-back calls (the fastest shows the machine's least-disturbed moment). */
    private static double time(Runnable call, double flop) {
        double best = 0;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            call.run();
            best = Math.max(best, flop / (System.nanoTime() - t0));
        }
        return best;
    }

    private static void direct(HostKernelTestBench bench, Tensor a, Tensor w, Tensor c, int m, int n, int k) {
        MemorySegment as = bench.launcher.segment(a.buffer());
        MemorySegment ws = bench.launcher.segment(w.buffer());
        MemorySegment cs = bench.launcher.segment(c.buffer());
        Cblas.cblas_sgemm(Cblas.CblasRowMajor(), Cblas.CblasNoTrans(), Cblas.CblasTrans(), m, n, k, 1f, as, k, ws, k,
                0f, cs, n);
    }

    static String describe(double[] v) {
        return Arrays.toString(v);
    }
}
