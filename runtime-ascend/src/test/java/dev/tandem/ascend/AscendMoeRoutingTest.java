package dev.tandem.ascend;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** initRouting / finalizeRouting (aclnnMoeInitRoutingV3 / aclnnMoeFinalizeRoutingV2) against a plain Java reference. */
@Tag("emulator")
class AscendMoeRoutingTest {

    /** The reference routing: flat indices {@code t * k + j} of the in-range assignments, sorted by expert (stable). */
    static List<Integer> sortedAssignments(int[] ids, int start, int end) {
        List<Integer> order = new ArrayList<>();
        for (int f = 0; f < ids.length; f++) {
            if (ids[f] >= start && ids[f] < end) {
                order.add(f);
            }
        }
        order.sort(Comparator.comparingInt(f -> ids[f]));   // List.sort is stable
        return order;
    }

    @Test
    void routingThenExpertsThenFinalizeMatchesTheReference() {
        int tokens = 9, k = 3, experts = 5, hidden = 4;
        Random random = new Random(11);
        int[] ids = new int[tokens * k];
        for (int t = 0; t < tokens; t++) {
            List<Integer> pool = new ArrayList<>(List.of(0, 1, 2, 3, 4));
            java.util.Collections.shuffle(pool, random);
            for (int j = 0; j < k; j++) {
                ids[t * k + j] = pool.get(j);
            }
        }
        ids[0] = 4;   // make expert 1 or 3 likely empty-ish; either way counts are checked
        float[] x = floats(random, tokens * hidden);
        float[] scales = floats(random, tokens * k);
        float[] bias = floats(random, experts * hidden);
        float[] skip1 = floats(random, tokens * hidden);
        float[] skip2 = floats(random, tokens * hidden);
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            Stream s = dev.createStream("moe");
            AscendMoeKernels moe = dev.moeKernels();
            for (DType dtype : new DType[]{DType.F32, DType.BF16}) {
                Tensor tx = Tensor.allocate(dev, s, dtype, tokens, hidden);
                Tensor tids = Tensor.allocate(dev, s, DType.I32, tokens, k);
                Tensor ex = Tensor.allocate(dev, s, dtype, tokens * k, hidden);
                Tensor rowIdx = Tensor.allocate(dev, s, DType.I32, tokens * k);
                Tensor counts = Tensor.allocate(dev, s, DType.I64, experts);
                Tensor cumsum = Tensor.allocate(dev, s, DType.I64, experts);
                s.upload(x, tx);
                s.upload(ids, tids);
                moe.initRouting(s, tx, tids, experts, ex, rowIdx, counts, false);
                Tensor ex2 = Tensor.allocate(dev, s, dtype, tokens * k, hidden);
                Tensor rowIdx2 = Tensor.allocate(dev, s, DType.I32, tokens * k);
                // The released kernel has no running-sum mode (expertTokensNumType 0): rejected before enqueueing.
                assertThatThrownBy(() -> moe.initRouting(s, tx, tids, experts, ex2, rowIdx2, cumsum, true))
                        .isInstanceOf(FeatureNotSupportedException.class).hasMessageContaining("cumulative");

                float[] xs = s.readFloats(tx);   // x as stored (BF16-rounded)
                List<Integer> order = sortedAssignments(ids, 0, experts);
                int[] gotRows = new int[tokens * k];
                long[] gotCounts = new long[experts];
                s.download(rowIdx, gotRows);
                s.download(counts, gotCounts);
                float[] gotEx = s.readFloats(ex);
                long[] expCounts = new long[experts];
                for (int id : ids) {
                    expCounts[id]++;
                }
                assertThat(gotCounts).as("%s counts", dtype).containsExactly(expCounts);
                for (int i = 0; i < order.size(); i++) {
                    int f = order.get(i);
                    assertThat(gotRows[f]).as("%s expandedRowIdx[%d]", dtype, f).isEqualTo(i);
                    for (int c = 0; c < hidden; c++) {
                        assertThat(gotEx[i * hidden + c]).as("%s expandedX[%d][%d]", dtype, i, c)
                                .isEqualTo(xs[(f / k) * hidden + c]);
                    }
                }

                // "experts": expert e scales its rows by (e + 1), through groupedMatmul with the counts as group sizes
                float[] w = new float[experts * hidden * hidden];
                for (int e = 0; e < experts; e++) {
                    for (int c = 0; c < hidden; c++) {
                        w[(e * hidden + c) * hidden + c] = e + 1;
                    }
                }
                Tensor tw = Tensor.allocate(dev, s, dtype, experts, hidden, hidden);
                Tensor ey = Tensor.allocate(dev, s, dtype, tokens * k, hidden);
                s.upload(w, tw);
                moe.groupedMatmul(s, ex, tw, counts, ey);

                Tensor tsc = Tensor.allocate(dev, s, dtype, tokens, k);
                Tensor tb = Tensor.allocate(dev, s, dtype, experts, hidden);
                Tensor t1 = Tensor.allocate(dev, s, dtype, tokens, hidden);
                Tensor t2 = Tensor.allocate(dev, s, dtype, tokens, hidden);
                Tensor out = Tensor.allocate(dev, s, dtype, tokens, hidden);
                Tensor outPlain = Tensor.allocate(dev, s, dtype, tokens, hidden);
                s.upload(scales, tsc);
                s.upload(bias, tb);
                s.upload(skip1, t1);
                s.upload(skip2, t2);
                moe.finalizeRouting(s, ey, rowIdx, tsc, tids, tb, t1, t2, out);
                moe.finalizeRouting(s, ey, rowIdx, tsc, null, null, null, null, outPlain);
                float[] sc = s.readFloats(tsc);
                float[] bs = s.readFloats(tb);
                float[] s1 = s.readFloats(t1);
                float[] s2 = s.readFloats(t2);
                float[] got = s.readFloats(out);
                float[] gotPlain = s.readFloats(outPlain);
                double tol = dtype == DType.F32 ? 1e-4 : 0.1;
                for (int t = 0; t < tokens; t++) {
                    for (int c = 0; c < hidden; c++) {
                        double expected = s1[t * hidden + c] + s2[t * hidden + c];
                        double plain = 0;
                        for (int j = 0; j < k; j++) {
                            int e = ids[t * k + j];
                            double y = (e + 1) * xs[t * hidden + c];   // the expert's output for this token
                            expected += sc[t * k + j] * (y + bs[e * hidden + c]);
                            plain += sc[t * k + j] * y;
                        }
                        assertThat((double) got[t * hidden + c]).as("%s out[%d][%d]", dtype, t, c)
                                .isCloseTo(expected, within(tol));
                        assertThat((double) gotPlain[t * hidden + c]).as("%s plain out[%d][%d]", dtype, t, c)
                                .isCloseTo(plain, within(tol));
                    }
                }
            }
            s.synchronize();
        }
    }

    @Test
    void anExpertRangeRoutesOnlyItsExperts() {
        int tokens = 6, k = 2, experts = 6, hidden = 3, start = 2, end = 5;
        Random random = new Random(5);
        int[] ids = new int[tokens * k];
        for (int f = 0; f < ids.length; f++) {
            ids[f] = random.nextInt(experts);
        }
        float[] x = floats(random, tokens * hidden);
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            Stream s = dev.createStream("moe");
            Tensor tx = Tensor.allocate(dev, s, DType.F32, tokens, hidden);
            Tensor tids = Tensor.allocate(dev, s, DType.I32, tokens, k);
            Tensor ex = Tensor.allocate(dev, s, DType.F32, tokens * k, hidden);
            Tensor rowIdx = Tensor.allocate(dev, s, DType.I32, tokens * k);
            Tensor counts = Tensor.allocate(dev, s, DType.I64, end - start);
            s.upload(x, tx);
            s.upload(ids, tids);
            float[] sentinel = new float[tokens * k * hidden];
            Arrays.fill(sentinel, 7f);
            s.upload(sentinel, ex);
            dev.moeKernels().initRouting(s, tx, tids, experts, start, end, ex, rowIdx, counts, false);
            List<Integer> order = sortedAssignments(ids, start, end);
            int[] rows = new int[tokens * k];
            long[] cnt = new long[end - start];
            s.download(rowIdx, rows);
            s.download(counts, cnt);
            float[] gotEx = s.readFloats(ex);
            int[] expectedRows = new int[tokens * k];
            Arrays.fill(expectedRows, -1);
            long[] expectedCounts = new long[end - start];
            for (int i = 0; i < order.size(); i++) {
                expectedRows[order.get(i)] = i;
                expectedCounts[ids[order.get(i)] - start]++;
                for (int c = 0; c < hidden; c++) {
                    assertThat(gotEx[i * hidden + c]).isEqualTo(x[(order.get(i) / k) * hidden + c]);
                }
            }
            for (int i = order.size() * hidden; i < gotEx.length; i++) {
                assertThat(gotEx[i]).as("rows past the routed ones stay unchanged").isEqualTo(7f);
            }
            assertThat(rows).containsExactly(expectedRows);
            assertThat(cnt).containsExactly(expectedCounts);

            s.upload(new int[]{0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4}, tids);   // 6 is not an expert
            dev.moeKernels().initRouting(s, tx, tids, experts, ex, rowIdx, Tensor.allocate(dev, s, DType.I64, experts), false);
            assertThatThrownBy(s::synchronize).isInstanceOf(StreamFailedException.class).hasMessageContaining("aclnnMoeInitRoutingV3").hasMessageContaining("outside");
        }
    }

    @Test
    void routingRejectsBadArgumentsBeforeEnqueueing() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            Stream s = dev.createStream("moe");
            AscendMoeKernels moe = dev.moeKernels();
            Tensor x = Tensor.allocate(dev, s, DType.F32, 4, 8);
            Tensor ids = Tensor.allocate(dev, s, DType.I32, 4, 2);
            Tensor ex = Tensor.allocate(dev, s, DType.F32, 8, 8);
            Tensor rows = Tensor.allocate(dev, s, DType.I32, 8);
            Tensor counts = Tensor.allocate(dev, s, DType.I64, 3);
            assertThatThrownBy(() -> moe.initRouting(s, x, Tensor.allocate(dev, s, DType.I64, 4, 2), 3, ex, rows, counts, false))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("expertIdx");
            assertThatThrownBy(() -> moe.initRouting(s, x, ids, 3, Tensor.allocate(dev, s, DType.BF16, 8, 8), rows, counts, false))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("expandedX");
            assertThatThrownBy(() -> moe.initRouting(s, x, ids, 3, ex, Tensor.allocate(dev, s, DType.I32, 4), counts, false))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("expandedRowIdx");
            assertThatThrownBy(() -> moe.initRouting(s, x, ids, 4, ex, rows, counts, false))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("expertTokens");
            assertThatThrownBy(() -> moe.initRouting(s, x, ids, 3, 2, 4, ex, rows, counts, false))
                    .isInstanceOf(OutOfRangeException.class).hasMessageContaining("expert range");
            assertThatThrownBy(() -> moe.initRouting(s, x, ids, 3, ex, rows, rows, false))
                    .isInstanceOf(ShapeException.class);

            Tensor scales = Tensor.allocate(dev, s, DType.F32, 4, 2);
            Tensor out = Tensor.allocate(dev, s, DType.F32, 4, 8);
            Tensor bias = Tensor.allocate(dev, s, DType.F32, 3, 8);
            assertThatThrownBy(() -> moe.finalizeRouting(s, ex, rows, scales, null, bias, null, null, out))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("expertIdx");
            assertThatThrownBy(() -> moe.finalizeRouting(s, ex, rows, scales, null, null, null, out, out))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("skip1");
            assertThatThrownBy(() -> moe.finalizeRouting(s, ex, rows, Tensor.allocate(dev, s, DType.F32, 4, 3), null, null, null, null, out))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("expandedX");
            assertThatThrownBy(() -> moe.finalizeRouting(s, ex, rows, scales, null, null, null, null, Tensor.allocate(dev, s, DType.BF16, 4, 8)))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("out");
            assertThatThrownBy(() -> moe.finalizeRouting(s, ex, rows, scales, ids, Tensor.allocate(dev, s, DType.F32, 3, 7), null, null, out))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("bias");
            assertThatThrownBy(() -> moe.finalizeRouting(s, ex, rows, scales, null, null, null, null, ex.view(4, 16).slice(1, 0, 8)))
                    .isInstanceOf(ShapeException.class);
            s.synchronize();
        }
    }

    private static float[] floats(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return v;
    }
}
