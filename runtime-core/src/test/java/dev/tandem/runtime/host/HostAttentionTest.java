package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The host's fused attention gives the same bits whatever the thread count (its block grid depends on shapes only). */
class HostAttentionTest {

    @Test
    void fusedAttentionIsIndependentOfThreadCount() {
        Random random = new Random(5);
        int h = 3;
        int n = 130;
        int len = 600;
        int d = 24;
        int dr = 8;
        int dv = 20;
        float[][] inputs = {new float[h * n * d], new float[len * d], new float[h * n * dr], new float[len * dr],
                new float[h * len * dv]};
        for (float[] a : inputs) {
            for (int i = 0; i < a.length; i++) {
                a[i] = random.nextFloat() * 2 - 1;
            }
        }
        int[][] results = new int[2][];
        for (int t = 0; t < 2; t++) {
            try (HostKernelTestBench bench = new HostKernelTestBench(t == 0 ? 1 : 3)) {
                Tensor q = bench.tensor(DType.F32, h, n, d);
                Tensor k = bench.tensor(DType.BF16, len, d);
                Tensor qr = bench.tensor(DType.F32, h, n, dr);
                Tensor kr = bench.tensor(DType.F32, len, dr);
                Tensor v = bench.tensor(DType.F32, h, len, dv);
                Tensor out = bench.tensor(DType.F32, h, n, dv);
                bench.write(q, inputs[0]);
                bench.write(k, inputs[1]);
                bench.write(qr, inputs[2]);
                bench.write(kr, inputs[3]);
                bench.write(v, inputs[4]);
                bench.kernels.attention(bench.stream, q, k, qr, kr, v, 0.3f, len - n, out);
                assertThat(bench.launcher.failures).isEmpty();
                float[] got = bench.read(out);
                results[t] = new int[got.length];
                for (int i = 0; i < got.length; i++) {
                    results[t][i] = Float.floatToRawIntBits(got[i]);
                }
            }
        }
        assertThat(results[1]).containsExactly(results[0]);
    }

    @Test
    void cachingAHeadsKeysAndValuesChangesNoBit() {
        Random random = new Random(9);
        int h = 2;
        int n = 70;
        int len = 300;
        try (HostKernelTestBench bench = new HostKernelTestBench(2)) {
            Tensor q = bench.tensor(DType.F32, h, n, 12);
            Tensor k = bench.tensor(DType.F32, h, len, 12);
            Tensor v = bench.tensor(DType.F32, len, 7);
            for (Tensor t : new Tensor[] {q, k, v}) {
                float[] values = new float[Math.toIntExact(t.numel())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = random.nextFloat() * 2 - 1;
                }
                bench.write(t, values);
            }
            Tensor cached = bench.tensor(DType.F32, h, n, 7);
            Tensor streamed = bench.tensor(DType.F32, h, n, 7);
            Attention.attention(bench.launcher, q, k, null, null, v, 0.5f, len - n, cached);
            Attention.attention(bench.launcher, q, k, null, null, v, 0.5f, len - n, streamed, 0);
            assertThat(bench.read(streamed)).containsExactly(bench.read(cached));
        }
    }
}
