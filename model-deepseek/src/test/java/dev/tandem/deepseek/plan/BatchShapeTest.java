package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.config.ConfigException;
import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.plan.PlannedScheduleAdvisor.BatchShape;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.schedule.RequestShape;
import dev.tandem.runtime.sim.HardwareProfile;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How an engine step's batch becomes the planner's batch shape, and how an engine's deployment is built. */
class BatchShapeTest {
    @Test
    void bucketsAreTheNearestPowerOfTwoOnALogScale() {
        int[][] cases = {{0, 0}, {1, 1}, {2, 2}, {3, 4}, {4, 4}, {5, 4}, {6, 8}, {11, 8}, {12, 16}, {724, 512},
                {725, 1024}, {1000, 1024}, {4096, 4096}, {Integer.MAX_VALUE, Integer.MAX_VALUE}};
        for (int[] c : cases) {
            assertThat(BatchShape.bucket(c[0])).as("bucket(%d)", c[0]).isEqualTo(c[1]);
        }
        for (int n = 1; n < 5000; n++) {
            double ratio = (double) BatchShape.bucket(n) / n;
            assertThat(ratio).as("bucket(%d)", n).isBetween(1 / Math.sqrt(2) - 1e-9, Math.sqrt(2) + 1e-9);
        }
        assertThat(BatchShape.bucketsUpTo(100)).containsExactly(1, 2, 4, 8, 16, 32, 64, 128);
        assertThat(BatchShape.bucketsUpTo(1)).containsExactly(1);
        assertThatThrownBy(() -> BatchShape.bucket(-1)).isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void aMixedBatchBecomesMeanPrefillAndDecodeShapesThenBuckets() {
        List<RequestShape> batch = List.of(new RequestShape(60, 0), new RequestShape(70, 0), new RequestShape(1, 100),
                new RequestShape(1, 300), new RequestShape(1, 0), new RequestShape(16, 64));
        BatchShape exact = BatchShape.of(batch);
        // prefills (a one-token prompt and a continued chunk included): 60, 70, 1, 16 -> mean 36.75; decodes: 100, 300
        assertThat(exact).isEqualTo(new BatchShape(4, 37, 2, 200));
        assertThat(exact.bucketed()).isEqualTo(new BatchShape(4, 32, 2, 256));
        assertThat(exact.toString()).isEqualTo("prefill 4x37 + decode 2x200");
        assertThat(BatchShape.of(List.of(new RequestShape(1, 5))).bucketed()).isEqualTo(new BatchShape(0, 0, 1, 4));
        assertThatThrownBy(() -> BatchShape.of(List.of())).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> new BatchShape(0, 0, 0, 9)).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("at least one token");
    }

    @Test
    void anEnginesDeploymentSimulatesExactlyItsLayersOnItsRanks() {
        DeepSeekConfig tiny = DeepSeekConfig.preset("tiny-v3");     // layer 0 dense, 1 and 2 MoE
        PlanSetup moe = PlanSetup.engine(tiny, 1, 3, 2, AttentionMode.DP, HardwareProfile.load("h800"));
        assertThat(moe.layers()).isEqualTo(2);
        assertThat(moe.model().isMoeLayer(0)).isTrue();
        assertThat(moe.model().isMoeLayer(1)).isTrue();
        assertThat(moe.ep()).isEqualTo(2);
        assertThat(moe.nodes()).isEqualTo(1);
        assertThat(moe.profile().devicesPerNode()).isEqualTo(2);
        PlanSetup all = PlanSetup.engine(tiny, 0, 2, 16, AttentionMode.DP, HardwareProfile.load("h800"));
        assertThat(all.model().isMoeLayer(0)).isFalse();
        assertThat(all.model().isMoeLayer(1)).isTrue();
        assertThat(all.nodes()).isEqualTo(2);
        assertThat(all.profile().devicesPerNode()).isEqualTo(8);
        assertThat(PlanSetup.engine(tiny, 0, 3, 8, AttentionMode.TP, HardwareProfile.load("h800")).tp()).isEqualTo(8);
        assertThatThrownBy(() -> PlanSetup.engine(tiny, 2, 2, 2, AttentionMode.DP, HardwareProfile.load("h800")))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> PlanSetup.engine(tiny, 0, 3, 3, AttentionMode.DP, HardwareProfile.load("h800")))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("does not divide");
    }

    @Test
    void theHostProfileIsMeasuredAtTheModelsOwnLinearLayers() {
        DeepSeekConfig tiny = DeepSeekConfig.preset("tiny-v3");
        // the demo's weights, written out by hand in HostPredictionTest
        assertThat(PlanSetup.linearWeightShapes(tiny, AttentionMode.DP, 2)).isDeepEqualTo(new int[][]{{512, 384},
                {384, 384}, {512, 144}, {128, 512}, {256, 512}, {512, 16}, {512, 256}, {128, 512}});
        assertThat(PlanSetup.linearWeightShapes(tiny, AttentionMode.TP, 2)[4]).containsExactly(128, 512);
        HardwareProfile host = PlanSetup.hostProfile(tiny, AttentionMode.DP, 2, 1, new LinkEmulation(0.1, 20));
        assertThat(host.name()).isEqualTo("host");
        assertThat(host.devicesPerNode()).isEqualTo(2);
        assertThat(host.intraGBps()).isEqualTo(0.1);
        // every kernel the layers run is measured at their shapes: the GEMM by rows, element-wise kernels, attention
        assertThat(host.gemmRowsEfficiency()).containsKeys(8, 16, 32, 64, 128, 256);
        assertThat(host.gemmRowsEfficiency().values()).allSatisfy(e -> assertThat(e).isPositive().isLessThanOrEqualTo(1))
                .contains(1.0);
        assertThat(host.kernelGBps()).containsOnlyKeys("add", "copy", "rmsNorm", "rope", "swiglu", "indexSelect");
        assertThat(host.kernelMicros()).containsKeys("attention", "add");
        assertThat(host.attentionEfficiency()).isPositive();
        // the share of the host's own work the devices lose is measured (about 1 where the ranks fill the cores)
        assertThat(host.hostSteal()).isBetween(0.0, 1.0);
        PlannedScheduleAdvisor advisor = new PlannedScheduleAdvisor(PlanSetup.engine(tiny, 1, 3, 2, AttentionMode.DP,
                host));
        var advice = advisor.advise(List.of(new RequestShape(64, 0), new RequestShape(64, 0)), 2);
        assertThat(advice.reason()).startsWith("capacity planner for prefill 2x64 + decode 0x0 on 2 x host, simulated in ");
    }
}
