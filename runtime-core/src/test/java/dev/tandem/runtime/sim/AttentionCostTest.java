package dev.tandem.runtime.sim;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Fused attention's cost: only the pairs the causal mask leaves visible, every head's queries as one product's rows
 * where the heads share their keys (MLA's latent), and shared keys and values read once. Round profile: 100 TFLOPS
 * BF16, 1000 GB/s, 2-byte activations.
 */
class AttentionCostTest {

    private static SimRuntime open(HardwareProfile profile) {
        return new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1).withTracing(true), SimSettings.of(profile));
    }

    @Test
    void visiblePairsCountWhatTheMaskShowsEachQuery() {
        assertThat(CostModel.visiblePairs(4, 4, 0)).isEqualTo(10);          // 1 + 2 + 3 + 4
        assertThat(CostModel.visiblePairs(2, 4, 2)).isEqualTo(7);           // 3 + 4: the second half of a prefill
        assertThat(CostModel.visiblePairs(1, 2048, 2047)).isEqualTo(2048);  // a decode step sees its whole context
        assertThat(CostModel.visiblePairs(3, 5, 9)).isEqualTo(15);          // an offset past the keys hides nothing
        assertThat(CostModel.visiblePairs(3, 5, -1)).isEqualTo(15);         // no mask
        assertThat(CostModel.visiblePairs(0, 5, 0)).isZero();
        Random random = new Random(11);
        for (int trial = 0; trial < 500; trial++) {
            int n = random.nextInt(40);
            int len = random.nextInt(60);
            int offset = random.nextInt(70) - 5;
            long brute = 0;
            for (int i = 0; i < n; i++) {
                brute += offset < 0 ? len : Math.min(len, i + offset + 1);
            }
            assertThat(CostModel.visiblePairs(n, len, offset)).as("n %d len %d offset %d", n, len, offset)
                    .isEqualTo(brute);
        }
    }

    /**
     * A causal prefill costs its visible half, and cutting it at a token boundary (the second half attends to the
     * first half's keys) costs the same products in two calls: splitting saves no attention.
     */
    @Test
    void aCausalPrefillCostsWhatItsTwoHalvesCost() {
        try (SimRuntime rt = open(TestProfiles.round(0, 0))) {
            Device dev = rt.device(0);
            Stream s = dev.createStream("s");
            int h = 16;
            int n = 1024;
            Tensor q = Tensor.allocate(dev, s, DType.BF16, h, n, 192);
            Tensor k = Tensor.allocate(dev, s, DType.BF16, h, n, 192);
            Tensor v = Tensor.allocate(dev, s, DType.BF16, h, n, 128);
            Tensor out = Tensor.allocate(dev, s, DType.BF16, h, n, 128);
            CostModel costs = rt.costs();
            double unmasked = costs.attentionNanos(List.of(q, k, v), out);
            // 2 x 16 x 1024 x 1024 x 320 flops at 100 TFLOPS
            assertThat(unmasked).isCloseTo(2.0 * h * n * n * 320 / 100e3, within(1e-6));
            double whole = costs.attentionNanos(List.of(q, k, v), out, 0);
            assertThat(whole).isCloseTo(unmasked * (n + 1) / (2.0 * n), within(1e-6));
            Tensor qHalf = q.slice(1, 0, n / 2);
            Tensor outHalf = out.slice(1, 0, n / 2);
            double first = costs.attentionNanos(List.of(qHalf, k.slice(1, 0, n / 2), v.slice(1, 0, n / 2)), outHalf, 0);
            double second = costs.attentionNanos(List.of(qHalf, k, v), outHalf, n / 2);
            assertThat(first + second).isCloseTo(whole, within(1e-6));
        }
    }

    /**
     * A decode step over MLA's latent (keys shared by 128 heads, one query each): a kernel that packs the heads
     * multiplies 128 rows at once; one that does not (the host's) multiplies one row per head, at the efficiency of
     * one row. Keys that are also the values are read once.
     */
    @Test
    void headsThatShareKeysFillTheProductsRowsWhereTheKernelPacksThem() {
        HardwareProfile round = TestProfiles.round(0, 128);
        HardwareProfile perHead = round.withAttentionPacksHeads(false);
        assertThat(round.attentionPacksHeads()).isTrue();
        int h = 128;
        int len = 4096;
        double flops = 2.0 * h * len * (512 + 64 + 512);
        try (SimRuntime packed = open(round); SimRuntime unpacked = open(perHead)) {
            double[] costs = new double[2];
            int i = 0;
            for (SimRuntime rt : List.of(packed, unpacked)) {
                Device dev = rt.device(0);
                Stream s = dev.createStream("s");
                Tensor qLatent = Tensor.allocate(dev, s, DType.BF16, h, 1, 512);
                Tensor qRope = Tensor.allocate(dev, s, DType.BF16, h, 1, 64);
                Tensor latent = Tensor.allocate(dev, s, DType.BF16, len, 512);
                Tensor kRope = Tensor.allocate(dev, s, DType.BF16, len, 64);
                Tensor out = Tensor.allocate(dev, s, DType.BF16, h, 1, 512);
                costs[i++] = rt.costs().attentionNanos(List.of(qLatent, latent, latent, qRope, kRope), out, len - 1);
            }
            // packed: 128 rows at half efficiency (1.15 GFLOP: 23.2 us), more than its bytes take (latent and rope
            // keys read once: 4.7 MB, 4.7 us)
            assertThat(costs[0]).isCloseTo(flops / (100e3 * 0.5), within(1e-6));
            // one row per head: efficiency 1/129
            assertThat(costs[1]).isCloseTo(flops / (100e3 / 129), within(1e-3));
        }
    }

    /** Where memory bounds attention, keys that also serve as values are read once. */
    @Test
    void sharedKeysAndValuesAreReadOnce() {
        try (SimRuntime rt = open(TestProfiles.round(0, 0))) {
            Device dev = rt.device(0);
            Stream s = dev.createStream("s");
            Tensor q = Tensor.allocate(dev, s, DType.BF16, 1, 1, 512);
            Tensor latent = Tensor.allocate(dev, s, DType.BF16, 100_000, 512);
            Tensor other = Tensor.allocate(dev, s, DType.BF16, 100_000, 512);
            Tensor out = Tensor.allocate(dev, s, DType.BF16, 1, 1, 512);
            double shared = rt.costs().attentionNanos(List.of(q, latent, latent), out, -1);
            double separate = rt.costs().attentionNanos(List.of(q, latent, other), out, -1);
            // 102.4 MB read once (plus 2 KB of query and output) at 1000 GB/s, against twice that
            assertThat(shared).isCloseTo((102_400_000 + 2048) / 1000.0, within(1e-6));
            assertThat(separate).isCloseTo((204_800_000 + 2048) / 1000.0, within(1e-6));
        }
    }

    /** Through the kernels' front end on {@code sim}: the causal offset reaches the cost, as on a real device. */
    @Test
    void theSimulatedKernelCostsTheVisiblePairs() {
        try (SimRuntime rt = open(TestProfiles.round(0, 0))) {
            Device dev = rt.device(0);
            Stream s = dev.createStream("s");
            Tensor q = Tensor.allocate(dev, s, DType.F32, 8, 512, 64);
            Tensor v = Tensor.allocate(dev, s, DType.F32, 8, 512, 64);
            Tensor out = Tensor.allocate(dev, s, DType.F32, 8, 512, 64);
            dev.kernels().attention(s, q, q, v, 0.125f, 0, out);
            dev.kernels().attention(s, q, q, v, 0.125f, -1, out);
            dev.synchronize();
            List<TraceSpan> spans = rt.tracer().spans().stream().filter(t -> t.name().equals("attention")).toList();
            assertThat(spans).hasSize(2);
            long causal = spans.get(0).endNanos() - spans.get(0).startNanos();
            long unmasked = spans.get(1).endNanos() - spans.get(1).startNanos();
            // 2 x 8 x 131,328 visible pairs x 128 at 100 TFLOPS = 2689.6 ns; unmasked 2 x 8 x 262,144 x 128: 5368.7 ns
            assertThat(causal).isCloseTo(2690, within(1L));
            assertThat(unmasked).isCloseTo(5369, within(1L));
        }
    }
}
