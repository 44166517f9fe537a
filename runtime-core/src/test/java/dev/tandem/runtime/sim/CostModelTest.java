package dev.tandem.runtime.sim;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Cost-model figures against hand-computed values on a round-number profile. */
class CostModelTest {

    private static Tensor[] linear(SimRuntime rt, long m, long k, long n) {
        var dev = rt.device(0);
        var s = dev.createStream("s");
        return new Tensor[] {Tensor.allocate(dev, s, DType.F32, m, k), Tensor.allocate(dev, s, DType.BF16, n, k),
                Tensor.allocate(dev, s, DType.F32, m, n)};
    }

    @Test
    void linearGemmIsComputeBoundAtPeakWhenRowsAreMany() {
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1),
                SimSettings.of(TestProfiles.round(0, 0)))) {
            Tensor[] t = linear(rt, 128, 1024, 2048);
            // 2 * 128 * 2048 * 1024 flops at 100 TFLOPS = 5368.7 ns; bytes (BF16 activations and weight)
            // 4,980,736 at 1000 GB/s = 4980.7 ns; the larger wins.
            assertThat(rt.costs().kernelNanos("matmul", List.of(t[0], t[1]), List.of(t[2]))).isCloseTo(5368.71, within(0.01));
        }
    }

    @Test
    void smallRowCountsLoseEfficiency() {
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1),
                SimSettings.of(TestProfiles.round(0, 128)))) {
            Tensor[] t = linear(rt, 128, 1024, 2048);
            // m = half rows: efficiency 0.5, twice the time
            assertThat(rt.costs().kernelNanos("matmul", List.of(t[0], t[1]), List.of(t[2]))).isCloseTo(10737.42, within(0.01));
            assertThat(rt.costs().gemmEfficiency(384)).isCloseTo(0.75, within(1e-12));
        }
    }

    @Test
    void int8LinearLayersUseTheInt8PeakAndOneByteWeights() {
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1),
                SimSettings.of(TestProfiles.round(0, 0)).withLinearDType("int8"))) {
            Tensor[] t = linear(rt, 128, 1024, 2048);
            // compute 536,870,912 / 200e12 = 2684.4 ns; memory 262,144 + 2,097,152 + 524,288 bytes = 2883.6 ns
            assertThat(rt.costs().kernelNanos("matmul", List.of(t[0], t[1]), List.of(t[2]))).isCloseTo(2883.58, within(0.01));
        }
    }

    @Test
    void elementwiseKernelsCostTheirBytesOverBandwidth() {
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1),
                SimSettings.of(TestProfiles.round(0, 0)))) {
            var dev = rt.device(0);
            var s = dev.createStream("s");
            Tensor a = Tensor.allocate(dev, s, DType.F32, 1000, 1000);
            // three tensors of 10^6 BF16 activations: 6 MB at 1000 GB/s
            assertThat(rt.costs().kernelNanos("add", List.of(a, a), List.of(a))).isCloseTo(6000, within(1e-6));
        }
    }

    /** kernel.NAME.gbps: a kernel bound by something else than memory moves its bytes at its own measured rate. */
    @Test
    void aKernelWithItsOwnMeasuredRateCostsItsBytesOverThatRate() {
        Properties p = roundProperties("kernel.swiglu.gbps", "100");
        HardwareProfile profile = HardwareProfile.fromProperties("measured", p);
        assertThat(profile.kernelGBps()).containsExactly(Map.entry("swiglu", 100.0));
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1), SimSettings.of(profile))) {
            var dev = rt.device(0);
            var s = dev.createStream("s");
            Tensor x = Tensor.allocate(dev, s, DType.F32, 1000, 2000);
            Tensor y = Tensor.allocate(dev, s, DType.F32, 1000, 1000);
            // 3 x 10^6 BF16 activations: 6 MB at the measured 100 GB/s; other kernels keep the HBM rate
            assertThat(rt.costs().kernelNanos("swiglu", List.of(x), List.of(y))).isCloseTo(60000, within(1e-6));
            assertThat(rt.costs().kernelNanos("add", List.of(y, y), List.of(y))).isCloseTo(6000, within(1e-6));
        }
        p.setProperty("kernel.swiglu.gbps", "0");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", p)).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("kernel.swiglu.gbps");
    }

    /** host.steal: optional, 0 by default, and a share between 0 and 1. */
    @Test
    void theHostsShareOfStolenTimeIsAFractionAndOptional() {
        assertThat(HardwareProfile.fromProperties("accelerator", roundProperties()).hostSteal()).isZero();
        assertThat(HardwareProfile.fromProperties("host", roundProperties("host.steal", "0.25")).hostSteal())
                .isEqualTo(0.25);
        for (String bad : List.of("1.5", "-0.1", "NaN")) {
            assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", roundProperties("host.steal", bad)))
                    .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("host.steal");
        }
    }

    /** stream.park.us: optional, 0 (streams never park) by default, not negative. */
    @Test
    void aStreamsSpinBeforeParkingIsOptionalAndNotNegative() {
        assertThat(HardwareProfile.fromProperties("accelerator", roundProperties()).streamParkMicros()).isZero();
        assertThat(HardwareProfile.fromProperties("host", roundProperties("stream.park.us", "20"))
                .streamParkMicros()).isEqualTo(20);
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", roundProperties("stream.park.us", "-1")))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("stream.park.us");
    }

    /** attention.packs.heads: optional, true (accelerators' attention kernels) by default, a flag. */
    @Test
    void whetherAttentionPacksHeadsIsAnOptionalFlag() {
        assertThat(HardwareProfile.fromProperties("accelerator", roundProperties()).attentionPacksHeads()).isTrue();
        assertThat(HardwareProfile.fromProperties("host", roundProperties("attention.packs.heads", " False"))
                .attentionPacksHeads()).isFalse();
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", roundProperties("attention.packs.heads", "1")))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("attention.packs.heads");
        assertThat(HardwareProfile.load("910b2").attentionPacksHeads()).isTrue();
    }

    /** The round profile's figures as properties, plus {@code measured} key-value pairs. */
    static Properties roundProperties(String... measured) {
        Properties p = new Properties();
        p.putAll(Map.ofEntries(Map.entry("peak.tflops.bf16", "100"), Map.entry("gemm.efficiency", "1"),
                Map.entry("gemm.half.rows", "0"), Map.entry("hbm.gbps", "1000"), Map.entry("hbm.efficiency", "1"),
                Map.entry("memory.gib", "16"), Map.entry("link.intra.gbps", "100"),
                Map.entry("link.intra.latency.us", "10"), Map.entry("link.inter.gbps", "10"),
                Map.entry("link.inter.latency.us", "20"), Map.entry("launch.us", "0"), Map.entry("comm.slowdown", "0"),
                Map.entry("activation.bytes", "2"), Map.entry("devices.per.node", "4")));
        for (int i = 0; i < measured.length; i += 2) {
            p.setProperty(measured[i], measured[i + 1]);
        }
        return p;
    }

    /**
     * gemm.efficiency.rows.M: a measured table replaces the curve; between measured row counts the time grows
     * linearly, above the largest the efficiency stays, below the smallest the time does.
     */
    @Test
    void aMeasuredRowTableReplacesTheGemmCurve() {
        Properties p = roundProperties("gemm.efficiency.rows.16", "0.25", "gemm.efficiency.rows.64", "0.5",
                "gemm.efficiency.rows.256", "1");
        CostModel c = new CostModel(HardwareProfile.fromProperties("measured", p), "bf16");
        assertThat(c.gemmEfficiency(64)).isCloseTo(0.5, within(1e-12));
        assertThat(c.gemmEfficiency(1024)).isCloseTo(1, within(1e-12));
        // 16 rows take as long as 64 rows per row at 0.25: time(m) = m / eff(m) is 64 at 16 rows and 128 at 64
        assertThat(c.gemmEfficiency(40)).isCloseTo(40 / 96.0, within(1e-12));
        // 4 rows cost as much as 16: efficiency 0.25 x 4/16
        assertThat(c.gemmEfficiency(4)).isCloseTo(0.0625, within(1e-12));
        assertThat(new CostModel(TestProfiles.round(0, 16), "bf16").gemmEfficiency(16)).isCloseTo(0.5, within(1e-12));
        p.setProperty("gemm.efficiency.rows.0", "0.1");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", p))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("gemm.efficiency.rows.0");
        p.remove("gemm.efficiency.rows.0");
        p.setProperty("gemm.efficiency.rows.many", "0.1");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", p))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("gemm.efficiency.rows.many");
    }

    /** kernel.NAME.us and attention.efficiency: a fixed time per call, and attention slower than the GEMM rate. */
    @Test
    void measuredFixedTimesAndAttentionEfficiencyAddToTheCosts() {
        Properties p = roundProperties("kernel.add.us", "3", "kernel.attention.us", "5", "attention.efficiency", "0.5");
        HardwareProfile profile = HardwareProfile.fromProperties("measured", p);
        assertThat(profile.kernelMicros()).containsOnly(Map.entry("add", 3.0), Map.entry("attention", 5.0));
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1), SimSettings.of(profile))) {
            var dev = rt.device(0);
            var s = dev.createStream("s");
            Tensor a = Tensor.allocate(dev, s, DType.F32, 1000, 1000);
            // 6 MB at 1000 GB/s, plus 3 us
            assertThat(rt.costs().kernelNanos("add", List.of(a, a), List.of(a))).isCloseTo(9000, within(1e-6));
            Tensor q = Tensor.allocate(dev, s, DType.BF16, 10, 1000, 100);
            Tensor out = Tensor.allocate(dev, s, DType.BF16, 10, 1000, 100);
            // 2 x 10 x 1000 x 1000 x 200 = 4 GFLOP at 100 TFLOPS x 0.5: 80 us, plus 5 us
            assertThat(rt.costs().kernelNanos("attention", List.of(q, q, out), List.of(out)))
                    .isCloseTo(85000, within(1e-6));
        }
        p.setProperty("attention.efficiency", "0");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", p))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("attention.efficiency");
        p.setProperty("attention.efficiency", "1");
        p.setProperty("kernel.add.us", "-1");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", p))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("kernel.add.us");
    }

    @Test
    void collectivesUseTheNodeLinkInsideANodeAndTheSlowerLinkAcross() {
        CostModel c = new CostModel(TestProfiles.round(0, 0), "bf16");
        double mb = 1 << 20;
        // ring all-gather of 1 MiB per rank over 4 ranks: 3 MiB at 100 GB/s + 10 us
        assertThat(c.collectiveNanos("allGather", 3 * mb, 4)).isCloseTo(31457.28 + 10_000, within(1e-6));
        // 8 ranks span two nodes: the ring runs at the 10 GB/s inter-node link + 20 us
        assertThat(c.collectiveNanos("allGather", 7 * mb, 8)).isCloseTo(734_003.2 + 20_000, within(1e-6));
        // all-to-all across two nodes: 4 of 7 peers off-node at 10 GB/s, 3 in-node at 100 GB/s
        double seconds = 4.0 / 7 / 10 + 3.0 / 7 / 100;
        assertThat(c.collectiveNanos("allToAllV", mb, 8)).isCloseTo(20_000 + mb * seconds, within(1e-6));
        assertThat(c.collectiveNanos("allGather", mb, 1)).isZero();
    }

    @Test
    void measuredAllToAllBandwidthIsInterpolatedInLogEp() {
        assertThat(CostModel.interpolate(Map.of(8, 100.0, 32, 50.0), 16)).isCloseTo(75, within(1e-9));
        assertThat(CostModel.interpolate(Map.of(8, 100.0, 32, 50.0), 4)).isEqualTo(100);
        assertThat(CostModel.interpolate(Map.of(8, 100.0, 32, 50.0), 64)).isEqualTo(50);
    }

    @Test
    void aQuantisationTheHardwareLacksIsRejected() {
        assertThatThrownBy(() -> new CostModel(HardwareProfile.load("910b2"), "fp8"))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("no fp8 compute units");
    }

    @Test
    void everyShippedProfileLoadsAndUnknownNamesListTheKnownOnes() {
        for (String name : HardwareProfile.SHIPPED) {
            HardwareProfile p = HardwareProfile.load(name);
            assertThat(p.peak("bf16")).as(name).isPositive();
            assertThat(p.hbmGBps()).as(name).isPositive();
        }
        assertThatThrownBy(() -> HardwareProfile.load("tpu9")).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("910b2").hasMessageContaining("h200");
    }
}
