package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.FloatFormats;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The host kernels' math on a fake launcher that runs work inline: exact (bitwise) expectations where the host
 * implementation promises them, such as matmul equal to the naive ascending-k loop and independent of threads.
 */
class HostKernelMathTest {
    private final HostKernelTestBench bench = new HostKernelTestBench(1);
    private final Kernels k = bench.kernels;
    private final Random random = new Random(42);

    @AfterEach
    void close() {
        bench.close();
    }

    private float[] randoms(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return v;
    }

    private Tensor f32(float[] values, long... shape) {
        Tensor t = bench.tensor(DType.F32, shape);
        bench.write(t, values);
        return t;
    }

    /** Naive {@code op(a) x op(b)} with one F32 accumulator per element, k ascending. */
    private static float[] naiveMatmul(float[] a, boolean ta, float[] b, boolean tb, int m, int kk, int n) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0;
                for (int p = 0; p < kk; p++) {
                    float av = ta ? a[p * m + i] : a[i * kk + p];
                    float bv = tb ? b[j * kk + p] : b[p * n + j];
                    acc += av * bv;
                }
                c[i * n + j] = acc;
            }
        }
        return c;
    }

    @Test
    void matmulIsBitwiseTheNaiveAscendingKLoop() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {33, 300, 257}, {70, 513, 40}, {1, 600, 300}};
        for (int[] s : shapes) {
            int m = s[0];
            int kk = s[1];
            int n = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] av = randoms(m * kk);
                    float[] bv = randoms(kk * n);
                    Tensor a = ta ? f32(av, kk, m) : f32(av, m, kk);
                    Tensor b = tb ? f32(bv, n, kk) : f32(bv, kk, n);
                    Tensor c = bench.tensor(DType.F32, m, n);
                    k.matmul(bench.stream, a, ta, b, tb, c);
                    assertThat(bench.read(c)).as("m=%d k=%d n=%d ta=%s tb=%s", m, kk, n, ta, tb)
                            .containsExactly(naiveMatmul(av, ta, bv, tb, m, kk, n));
                }
            }
        }
        assertThat(bench.launcher.failures).isEmpty();
    }

    @Test
    void matmulIsIndependentOfThreadCount() {
        int kk = 700;
        int n = 300;
        for (int m : new int[] {3, 100}) { // the in-place row path for few rows, the packed path for many
            for (boolean transposeB : new boolean[] {false, true}) {
                float[] av = randoms(m * kk);
                float[] bv = randoms(kk * n);
                float[][] results = new float[2][];
                for (int threads = 1; threads <= 2; threads++) {
                    try (HostKernelTestBench b2 = new HostKernelTestBench(threads)) {
                        Tensor a = b2.tensor(DType.F32, m, kk);
                        Tensor b = transposeB ? b2.tensor(DType.F32, n, kk) : b2.tensor(DType.F32, kk, n);
                        Tensor c = b2.tensor(DType.F32, m, n);
                        b2.write(a, av);
                        b2.write(b, bv);
                        b2.kernels.matmul(b2.stream, a, false, b, transposeB, c);
                        results[threads - 1] = b2.read(c);
                    }
                }
                assertThat(floatBits(results[1])).as("m=%d transposeB=%s", m, transposeB)
                        .containsExactly(floatBits(results[0]));
                assertThat(results[0]).containsExactly(naiveMatmul(av, false, bv, transposeB, m, kk, n));
            }
        }
    }

    @Test
    void matmulBatchedWithSharedAndPerBatchB() {
        float[] av = randoms(2 * 3 * 4);
        float[] bShared = randoms(4 * 5);
        float[] bBatched = randoms(2 * 4 * 5);
        Tensor a = f32(av, 2, 3, 4);
        Tensor out = bench.tensor(DType.F32, 2, 3, 5);
        k.matmul(bench.stream, a, f32(bShared, 4, 5), out);
        float[] got = bench.read(out);
        for (int batch = 0; batch < 2; batch++) {
            float[] aBatch = Arrays.copyOfRange(av, batch * 12, batch * 12 + 12);
            float[] expected = naiveMatmul(aBatch, false, bShared, false, 3, 4, 5);
            assertThat(Arrays.copyOfRange(got, batch * 15, batch * 15 + 15)).containsExactly(expected);
        }
        k.matmul(bench.stream, a, f32(bBatched, 2, 4, 5), out);
        got = bench.read(out);
        for (int batch = 0; batch < 2; batch++) {
            float[] aBatch = Arrays.copyOfRange(av, batch * 12, batch * 12 + 12);
            float[] bBatch = Arrays.copyOfRange(bBatched, batch * 20, batch * 20 + 20);
            assertThat(Arrays.copyOfRange(got, batch * 15, batch * 15 + 15))
                    .containsExactly(naiveMatmul(aBatch, false, bBatch, false, 3, 4, 5));
        }
    }

    @Test
    void matmulReadsStridedSlicesAndRoundsNarrowOutputsOnce() {
        float[] big = randoms(6 * 10);
        Tensor a = f32(big, 6, 10).slice(1, 2, 7).slice(0, 1, 5); // [4, 5] with row stride 10, offset 12
        float[] aValues = new float[20];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 5; j++) {
                aValues[i * 5 + j] = big[(i + 1) * 10 + j + 2];
            }
        }
        float[] bv = randoms(5 * 3);
        Tensor out = bench.tensor(DType.BF16, 4, 3);
        k.matmul(bench.stream, a, f32(bv, 5, 3), out);
        float[] expected = naiveMatmul(aValues, false, bv, false, 4, 5, 3);
        float[] got = bench.read(out);
        for (int i = 0; i < expected.length; i++) {
            assertThat(got[i]).isEqualTo(FloatFormats.roundTo(DType.BF16, expected[i]));
        }
    }

    @Test
    void elementwiseBroadcastsSuffixesAndAllowsExactAliasing() {
        float[] av = randoms(2 * 3 * 4);
        float[] bv = randoms(3 * 4);
        Tensor a = f32(av, 2, 3, 4);
        Tensor b = f32(bv, 3, 4);
        Tensor out = bench.tensor(DType.F32, 2, 3, 4);
        k.add(bench.stream, a, b, out);
        float[] sum = bench.read(out);
        k.mul(bench.stream, a, b, out);
        float[] product = bench.read(out);
        k.addScaled(bench.stream, a, b, 0.5f, a); // in place
        float[] scaled = bench.read(a);
        for (int i = 0; i < av.length; i++) {
            assertThat(sum[i]).isEqualTo(av[i] + bv[i % 12]);
            assertThat(product[i]).isEqualTo(av[i] * bv[i % 12]);
            assertThat(scaled[i]).isEqualTo(av[i] + 0.5f * bv[i % 12]);
        }
        Tensor scalar = f32(new float[] {3f});
        Tensor row = f32(new float[] {1, 2}, 2);
        Tensor rowOut = bench.tensor(DType.F32, 2);
        k.add(bench.stream, row, scalar.view(), rowOut);
        assertThat(bench.read(rowOut)).containsExactly(4f, 5f);
    }

    @Test
    void activationsMatchTheirFormulas() {
        float[] xv = randoms(1000);
        for (int i = 0; i < xv.length; i++) {
            xv[i] *= 10;
        }
        float[] up = randoms(1000);
        Tensor x = f32(xv, 10, 100);
        Tensor u = f32(up, 10, 100);
        Tensor out = bench.tensor(DType.F32, 10, 100);
        k.silu(bench.stream, x, out);
        float[] silu = bench.read(out);
        k.sigmoid(bench.stream, x, out);
        float[] sigmoid = bench.read(out);
        k.swiglu(bench.stream, x, u, out);
        float[] swiglu = bench.read(out);
        k.scale(bench.stream, x, -2f, out);
        float[] scaled = bench.read(out);
        for (int i = 0; i < xv.length; i++) {
            double s = 1 / (1 + Math.exp(-xv[i]));
            assertThat(sigmoid[i]).isCloseTo((float) s, within(1e-6f));
            assertThat(silu[i]).isCloseTo((float) (xv[i] * s), within(1e-5f));
            assertThat(swiglu[i]).isCloseTo((float) (xv[i] * s) * up[i], within(1e-5f));
            assertThat(scaled[i]).isEqualTo(xv[i] * -2f);
        }
    }

    @Test
    void rmsNormNormalizesRowsOfStridedInput() {
        float[] xv = randoms(3 * 16);
        Tensor x = f32(xv, 3, 16).slice(1, 0, 8); // rows of 8 with stride 16
        float[] wv = randoms(8);
        Tensor out = bench.tensor(DType.F32, 3, 8);
        k.rmsNorm(bench.stream, x, f32(wv, 8), 1e-6f, out);
        float[] got = bench.read(out);
        for (int r = 0; r < 3; r++) {
            double ss = 0;
            for (int j = 0; j < 8; j++) {
                ss += xv[r * 16 + j] * xv[r * 16 + j];
            }
            double inv = 1 / Math.sqrt(ss / 8 + 1e-6);
            for (int j = 0; j < 8; j++) {
                assertThat(got[r * 8 + j]).isCloseTo((float) (xv[r * 16 + j] * inv * wv[j]), within(1e-6f));
            }
        }
    }

    @Test
    void causalSoftmaxMasksFutureColumnsAndZeroesAllMinusInfinityRows() {
        float[] xv = randoms(2 * 3 * 5);
        Tensor x = f32(xv, 2, 3, 5);
        Tensor out = bench.tensor(DType.F32, 2, 3, 5);
        k.softmax(bench.stream, x, out, 2);
        float[] got = bench.read(out);
        for (int r = 0; r < 6; r++) {
            int visible = Math.min(5, r % 3 + 3);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < visible; j++) {
                max = Math.max(max, xv[r * 5 + j]);
            }
            double sum = 0;
            for (int j = 0; j < visible; j++) {
                sum += Math.exp(xv[r * 5 + j] - max);
            }
            for (int j = 0; j < 5; j++) {
                float expected = j < visible ? (float) (Math.exp(xv[r * 5 + j] - max) / sum) : 0f;
                assertThat(got[r * 5 + j]).isCloseTo(expected, within(1e-6f));
            }
        }
        k.softmax(bench.stream, x, out, Long.MAX_VALUE); // sees everything, like no mask
        float[] unmasked = bench.read(out);
        k.softmax(bench.stream, x, out);
        assertThat(unmasked).containsExactly(bench.read(out));
        float inf = Float.NEGATIVE_INFINITY;
        Tensor masked = f32(new float[] {inf, inf, 1, inf}, 2, 2);
        Tensor maskedOut = bench.tensor(DType.F32, 2, 2);
        k.softmax(bench.stream, masked, maskedOut);
        assertThat(bench.read(maskedOut)).containsExactly(0f, 0f, 1f, 0f);
    }

    @Test
    void ropeRotatesInterleavedPairsInPlace() {
        float[] xv = randoms(3 * 2 * 4);
        Tensor x = f32(xv, 3, 2, 4);
        Tensor positions = bench.tensor(DType.I64, 3);
        bench.writeLongs(positions, 0, 5, 1000);
        float[] freq = {1f, 0.01f};
        k.rope(bench.stream, x, positions, f32(freq, 2), x);
        float[] got = bench.read(x);
        long[] pos = {0, 5, 1000};
        for (int t = 0; t < 3; t++) {
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < 2; i++) {
                    int at = (t * 2 + h) * 4 + 2 * i;
                    double angle = (float) pos[t] * freq[i];
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    assertThat(got[at]).isCloseTo(xv[at] * c - xv[at + 1] * s, within(1e-6f));
                    assertThat(got[at + 1]).isCloseTo(xv[at] * s + xv[at + 1] * c, within(1e-6f));
                }
            }
        }
    }

    @Test
    void topkOrdersDescendingWithTiesToLowerIndexAndNaNLast() {
        float nan = Float.NaN;
        Tensor x = f32(new float[] {1, 3, 3, nan, -0f, 0f, 7, -1, 2, 3, 3, 3}, 2, 6);
        Tensor values = bench.tensor(DType.F32, 2, 6);
        Tensor indices = bench.tensor(DType.I32, 2, 6);
        k.topk(bench.stream, x, 6, values, indices);
        assertThat(bench.readLongs(indices)).containsExactly(1, 2, 0, 4, 5, 3, 0, 3, 4, 5, 2, 1);
        float[] v = bench.read(values);
        assertThat(v[5]).isNaN();
        assertThat(Arrays.copyOf(v, 5)).containsExactly(3f, 3f, 1f, -0f, 0f);

        float[] big = randoms(3 * 500);
        Tensor bx = f32(big, 3, 500);
        Tensor bValues = bench.tensor(DType.BF16, 3, 4);
        Tensor bIndices = bench.tensor(DType.I64, 3, 4);
        k.topk(bench.stream, bx, 4, bValues, bIndices);
        long[] idx = bench.readLongs(bIndices);
        for (int r = 0; r < 3; r++) {
            Integer[] order = new Integer[500];
            for (int j = 0; j < 500; j++) {
                order[j] = j;
            }
            int row = r;
            Arrays.sort(order, (p, q) -> Float.compare(big[row * 500 + q], big[row * 500 + p]));
            for (int i = 0; i < 4; i++) {
                assertThat(idx[r * 4 + i]).isEqualTo(order[i].longValue());
            }
        }
    }

    @Test
    void indexSelectGathersAndIndexAddAccumulatesRepeatsInOrder() {
        Tensor table = f32(new float[] {0, 1, 10, 11, 20, 21}, 3, 2);
        Tensor ids = bench.tensor(DType.I32, 4);
        bench.writeLongs(ids, 2, 0, 2, 1);
        Tensor gathered = bench.tensor(DType.F32, 4, 2);
        k.embedding(bench.stream, table, ids, gathered);
        assertThat(bench.read(gathered)).containsExactly(20, 21, 0, 1, 20, 21, 10, 11);

        Tensor target = bench.tensor(DType.BF16, 3, 2);
        bench.write(target, 256, 0, 0, 0, 0, 0);
        Tensor source = f32(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 4, 2);
        Tensor repeated = bench.tensor(DType.I64, 4);
        bench.writeLongs(repeated, 0, 0, 2, 0);
        k.indexAdd(bench.stream, target, repeated, source, 0.5f);
        // BF16 256 + 0.5 rounds back to 256 every time: each update is stored (rounded) before the next.
        assertThat(bench.read(target)).containsExactly(256, 1.5f, 0, 0, 0.5f, 0.5f);
        assertThat(bench.launcher.failures).isEmpty();
    }

    @Test
    void outOfRangeIndicesFailTheWorkAndLeaveOutputUntouched() {
        Tensor table = f32(new float[] {1, 2, 3}, 3, 1);
        Tensor ids = bench.tensor(DType.I64, 2);
        bench.writeLongs(ids, 1, 3);
        Tensor out = f32(new float[] {-1, -1}, 2, 1);
        k.indexSelect(bench.stream, table, ids, out);
        assertThat(bench.launcher.failures).singleElement().isExactlyInstanceOf(OutOfRangeException.class)
                .extracting(Throwable::getMessage).asString().contains("indexSelect", "indices[1] = 3");
        assertThat(bench.read(out)).containsExactly(-1, -1);
    }

    @Test
    void castsRoundToNearestEvenAndCheckIntegerRange() {
        float halfway = Float.intBitsToFloat(0x3F808000); // exactly between two BF16 values; even is 0x3F80
        Tensor source = f32(new float[] {halfway, 1e-8f, 65520f}, 3);
        Tensor bf16 = bench.tensor(DType.BF16, 3);
        Tensor f16 = bench.tensor(DType.F16, 3);
        k.cast(bench.stream, source, bf16);
        k.cast(bench.stream, source, f16);
        assertThat(bench.read(bf16)[0]).isEqualTo(1f);
        assertThat(bench.read(f16)[2]).isEqualTo(Float.POSITIVE_INFINITY);

        Tensor wide = bench.tensor(DType.I64, 2);
        bench.writeLongs(wide, -5, 1L << 40);
        Tensor narrow = bench.tensor(DType.I32, 2);
        k.cast(bench.stream, wide, narrow);
        assertThat(bench.launcher.failures).singleElement().isExactlyInstanceOf(OutOfRangeException.class)
                .extracting(Throwable::getMessage).asString().contains("cast", "1099511627776", "I32");
        assertThat(bench.readLongs(narrow)).containsExactly(0, 0);
    }

    @Test
    void copyGathersStridedViewsBitForBitAndFillConvertsValues() {
        Tensor source = bench.tensor(DType.I32, 3, 4);
        bench.writeLongs(source, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        Tensor out = bench.tensor(DType.I32, 4, 2);
        k.copy(bench.stream, source.transpose(0, 1).slice(1, 1, 3), out);
        assertThat(bench.readLongs(out)).containsExactly(4, 8, 5, 9, 6, 10, 7, 11);

        Tensor flags = bench.tensor(DType.BOOL, 5);
        k.fill(bench.stream, flags, 1);
        assertThat(bench.readLongs(flags)).containsOnly(1L);
        Tensor halves = bench.tensor(DType.F16, 3);
        k.fill(bench.stream, halves, 0.1);
        assertThat(bench.read(halves)).containsOnly(FloatFormats.roundTo(DType.F16, 0.1f));
        assertThatThrownBy(() -> k.fill(bench.stream, bench.tensor(DType.U8, 2), 256))
                .isExactlyInstanceOf(OutOfRangeException.class).hasMessageContaining("fill").hasMessageContaining("256");
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingIsLaunched() {
        Tensor a = bench.tensor(DType.F32, 4, 8);
        Tensor b = bench.tensor(DType.F32, 9, 3);
        Tensor out = bench.tensor(DType.F32, 4, 3);
        assertThatThrownBy(() -> k.matmul(bench.stream, a, b, out)).isExactlyInstanceOf(ShapeException.class)
                .hasMessage("matmul: a [4, 8] and b [9, 3] disagree on k (8 vs 9)");
        assertThatThrownBy(() -> k.add(bench.stream, a, bench.tensor(DType.F32, 4), a))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("add: b [4]").hasMessageContaining("suffix");
        assertThatThrownBy(() -> k.add(bench.stream, a, a, bench.tensor(DType.F32, 8, 4).transpose(0, 1)))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("contiguous");
        assertThatThrownBy(() -> k.add(bench.stream, a, bench.foreignTensor(DType.F32, 8), out))
                .isExactlyInstanceOf(WrongDeviceException.class).hasMessageContaining("add: b");
        assertThatThrownBy(() -> k.silu(bench.stream, bench.tensor(DType.I32, 4), bench.tensor(DType.F32, 4)))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("silu: x").hasMessageContaining("F32, BF16 or F16");
        assertThatThrownBy(() -> k.topk(bench.stream, a, 9, bench.tensor(DType.F32, 4, 9), bench.tensor(DType.I32, 4, 9)))
                .isExactlyInstanceOf(OutOfRangeException.class).hasMessageContaining("topk: k = 9");
        assertThatThrownBy(() -> k.indexSelect(bench.stream, a, bench.tensor(DType.F32, 2), bench.tensor(DType.F32, 2, 8)))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("indices").hasMessageContaining("I32 or I64");
        assertThatThrownBy(() -> k.rope(bench.stream, bench.tensor(DType.F32, 2, 3), bench.tensor(DType.I32, 2),
                bench.tensor(DType.F32, 1), bench.tensor(DType.F32, 2, 3)))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("rope").hasMessageContaining("odd");
        assertThatThrownBy(() -> k.cast(bench.stream, a, bench.tensor(DType.I32, 4, 8)))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("cast");
        assertThatThrownBy(() -> k.matmul(bench.stream, a, a.transpose(0, 1), a.view(8, 4).slice(0, 0, 4)))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("overlaps");
        assertThat(bench.launcher.launched).isEmpty();
    }

    @Test
    void oddLayoutsAreReadInLogicalOrder() {
        Tensor storage = f32(new float[] {9, 9, 1, 2, 3, 4, 5, 6}, 8);
        // Stride 0 repeats a row; a size-1 axis may carry any stride; column-major is a plain strided view.
        Tensor repeated = Tensor.strided(storage.buffer(), DType.F32, 2, new long[] {3, 1, 4}, new long[] {0, 99, 1});
        Tensor out = bench.tensor(DType.F32, 3, 1, 4);
        k.copy(bench.stream, repeated, out);
        assertThat(bench.read(out)).containsExactly(1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4);
        Tensor columnMajor = Tensor.strided(storage.buffer(), DType.F32, 2, new long[] {2, 3}, new long[] {1, 2});
        Tensor cm = bench.tensor(DType.BF16, 2, 3);
        k.cast(bench.stream, columnMajor, cm);
        assertThat(bench.read(cm)).containsExactly(1, 3, 5, 2, 4, 6);
        Tensor sum = bench.tensor(DType.F32, 2, 3);
        k.add(bench.stream, columnMajor, columnMajor.select(0, 1), sum); // b [3] broadcast from a strided row
        assertThat(bench.read(sum)).containsExactly(3, 7, 11, 4, 8, 12);
    }

    @Test
    void emptyTensorsAreNoOps() {
        Tensor a = bench.tensor(DType.F32, 3, 0);
        Tensor b = bench.tensor(DType.F32, 0, 4);
        Tensor c = f32(new float[] {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, 3, 4);
        k.matmul(bench.stream, a, b, c);
        assertThat(bench.read(c)).containsOnly(0f); // k = 0: every sum is empty
        k.matmul(bench.stream, bench.tensor(DType.F32, 0, 5), bench.tensor(DType.F32, 5, 2), bench.tensor(DType.F32, 0, 2));
        Tensor empty = bench.tensor(DType.F32, 2, 0);
        k.add(bench.stream, empty, bench.tensor(DType.F32, 0), empty);
        k.softmax(bench.stream, empty, empty, 0);
        k.rmsNorm(bench.stream, empty, bench.tensor(DType.F32, 0), 1e-6f, empty);
        k.topk(bench.stream, bench.tensor(DType.F32, 2, 3), 0, bench.tensor(DType.F32, 2, 0), bench.tensor(DType.I32, 2, 0));
        k.indexSelect(bench.stream, c, bench.tensor(DType.I32, 0), bench.tensor(DType.F32, 0, 4));
        k.indexAdd(bench.stream, c, bench.tensor(DType.I64, 0), bench.tensor(DType.F32, 0, 4), 1f);
        k.rope(bench.stream, bench.tensor(DType.F32, 0, 2, 4), bench.tensor(DType.I32, 0), bench.tensor(DType.F32, 2),
                bench.tensor(DType.F32, 0, 2, 4));
        k.cast(bench.stream, empty, bench.tensor(DType.F16, 2, 0));
        k.fill(bench.stream, empty, 1);
        assertThat(bench.launcher.failures).isEmpty();
        assertThat(bench.read(c)).containsOnly(0f);
    }

    private static int[] floatBits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }
}
