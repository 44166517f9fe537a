package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every host GEMM implementation: the Java ones always (the scalar one, and the Vector API one, which the build's
 * test JVM resolves), the CBLAS one when a library is found (skipped, with the reason, when none is). Each must be
 * independent of the thread count bit for bit, read BF16 weights exactly as their F32 widening, and agree with a
 * double-precision reference; the Java ones must equal the naive ascending-k loop bit for bit.
 */
class HostGemmTest {
    private final Random random = new Random(11);

    private static HostGemm gemm(String name) {
        if (name.equals("blas")) {
            BlasLibrary.Status status = BlasLibrary.load();
            assumeTrue(status.found(), () -> "no CBLAS library, BLAS GEMM not tested: " + status.reason());
        }
        if (name.equals("java-vector")) {
            assumeTrue(HostGemms.vectorApiAvailable(), "jdk.incubator.vector not resolved; vector GEMM not tested");
        }
        return HostGemms.select(name);
    }

    private float[] randoms(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** Runs out = op(a) x op(b) on a fresh bench and returns out; a is [m,k] (or [k,m]), b is [k,n] (or [n,k]). */
    private static float[] run(HostGemm gemm, int threads, float[] av, boolean ta, float[] bv, boolean tb, DType bType,
                               int m, int k, int n) {
        try (HostKernelTestBench bench = new HostKernelTestBench(threads, gemm)) {
            Tensor a = ta ? bench.tensor(DType.F32, k, m) : bench.tensor(DType.F32, m, k);
            Tensor b = tb ? bench.tensor(bType, n, k) : bench.tensor(bType, k, n);
            Tensor c = bench.tensor(DType.F32, m, n);
            bench.write(a, av);
            bench.write(b, bv);
            bench.kernels.matmul(bench.stream, a, ta, b, tb, c);
            assertThat(bench.launcher.failures).isEmpty();
            return bench.read(c);
        }
    }

    private static double[] reference(float[] a, boolean ta, float[] b, boolean tb, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += (double) (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }
                c[i * n + j] = acc;
            }
        }
        return c;
    }

    private static float[] naive(float[] a, boolean ta, float[] b, boolean tb, int m, int k, int n) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }
                c[i * n + j] = acc;
            }
        }
        return c;
    }

    private static float[] bf16(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = dev.tandem.runtime.FloatFormats.bf16ToFloat(dev.tandem.runtime.FloatFormats.floatToBf16(v[i]));
        }
        return r;
    }

    private static int[] bits(float[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Float.floatToRawIntBits(v[i]);
        }
        return r;
    }

    // Shapes cross every tile edge: the vector kernel's 6-row panels and 16/256-column panels, its 256-deep
    // k-panels, and the BLAS tile grid (128 x 256).
    private static final int[][] SHAPES = {{1, 1, 1}, {7, 300, 33}, {130, 513, 270}, {64, 257, 600}, {1, 600, 300}};

    @ParameterizedTest
    @ValueSource(strings = {"java-scalar", "java-vector", "blas"})
    void sameBitsWhateverTheThreadCountAndCloseToReference(String name) {
        HostGemm gemm = gemm(name);
        for (int[] s : SHAPES) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] av = randoms(m * k);
                    float[] bv = randoms(k * n);
                    float[] one = run(gemm, 1, av, ta, bv, tb, DType.F32, m, k, n);
                    float[] three = run(gemm, 3, av, ta, bv, tb, DType.F32, m, k, n);
                    String what = name + " m=" + m + " k=" + k + " n=" + n + " ta=" + ta + " tb=" + tb;
                    assertThat(bits(three)).as(what + ": 3 threads vs 1").containsExactly(bits(one));
                    double[] ref = reference(av, ta, bv, tb, m, k, n);
                    for (int i = 0; i < ref.length; i++) {
                        assertThat((double) one[i]).as(what + " element " + i)
                                .isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-4 * k + 1e-5));
                    }
                    if (!name.equals("blas")) {
                        assertThat(bits(one)).as(what + ": the naive loop").containsExactly(bits(naive(av, ta, bv, tb, m, k, n)));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java-scalar", "java-vector", "blas"})
    void bf16WeightsGiveExactlyTheResultOfTheirF32Widening(String name) {
        HostGemm gemm = gemm(name);
        for (int[] s : SHAPES) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            float[] av = randoms(m * k);
            float[] wv = bf16(randoms(n * k));
            for (int threads : new int[] {1, 2}) {
                float[] fromBf16 = run(gemm, threads, av, false, wv, true, DType.BF16, m, k, n);
                float[] fromF32 = run(gemm, threads, av, false, wv, true, DType.F32, m, k, n);
                assertThat(bits(fromBf16)).as(name + " m=" + m + " k=" + k + " n=" + n + " threads=" + threads)
                        .containsExactly(bits(fromF32));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java-scalar", "java-vector", "blas"})
    void stridedBatchedAndNarrowOperands(String name) {
        HostGemm gemm = gemm(name);
        try (HostKernelTestBench bench = new HostKernelTestBench(2, gemm)) {
            // a: a column slice of a wider matrix (row stride 9); b: batched, transposed; out F16.
            int batch = 3;
            int m = 5;
            int k = 7;
            int n = 4;
            Tensor wide = bench.tensor(DType.F32, batch, m, 9);
            float[] wv = randoms(batch * m * 9);
            bench.write(wide, wv);
            Tensor a = wide.slice(2, 1, 1 + k);
            Tensor b = bench.tensor(DType.F32, batch, n, k);
            float[] bv = randoms(batch * n * k);
            bench.write(b, bv);
            Tensor out = bench.tensor(DType.F16, batch, m, n);
            bench.kernels.matmul(bench.stream, a, false, b, true, out);
            float[] got = bench.read(out);
            for (int q = 0; q < batch; q++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double acc = 0;
                        for (int p = 0; p < k; p++) {
                            acc += (double) wv[(q * m + i) * 9 + 1 + p] * bv[(q * n + j) * k + p];
                        }
                        assertThat((double) got[(q * m + i) * n + j]).as(name + " [%d,%d,%d]", q, i, j)
                                .isCloseTo(acc, org.assertj.core.data.Offset.offset(Math.abs(acc) * 2e-3 + 1e-3));
                    }
                }
            }
            assertThat(bench.launcher.failures).isEmpty();
        }
    }

    @Test
    void unknownOrUnavailableChoicesFailWithTheReason() {
        assertThatThrownBy(() -> HostGemms.select("fast")).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("auto, blas, java, java-vector or java-scalar").hasMessageContaining("fast");
        if (!BlasLibrary.load().found()) {
            assertThatThrownBy(() -> HostGemms.select("blas")).isInstanceOf(InvalidArgumentException.class)
                    .hasMessageContaining("not available");
        }
        assertThat(HostGemms.select("java-scalar").description()).contains("scalar");
    }
}
