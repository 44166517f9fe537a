package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.RoutingModel;
import dev.tandem.runtime.trace.OverlapReport;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The representative subset predicts what simulating every rank predicts when every rank behaves the same, and is
 * not used (or refused, when forced) when they do not.
 */
class RankSubsetTest {
    private static final DeepSeekConfig V3 = DeepSeekConfig.preset("deepseek-v3");
    /** Three dense layers and two MoE layers. */
    private static final int LAYERS = V3.firstKDenseReplace() + 2;

    private static PlanSetup v3(String hardware, int nodes, AttentionMode attention, int prefillCount,
                                int prefillLength, int decodeBatch, int decodeContext, RoutingModel routing) {
        int ep = nodes * 8;
        return new PlanSetup("deepseek-v3", V3, LAYERS, HardwareProfile.load(hardware), nodes, attention,
                attention == AttentionMode.TP ? ep : 1, ep, "bf16", prefillCount, prefillLength, decodeBatch,
                decodeContext, 2, routing);
    }

    private static void subsetPredictsTheFullSimulation(PlanSetup setup) {
        CapacityPlanner.Plan full = CapacityPlanner.plan(setup, true, SimulateRanks.all());
        CapacityPlanner.Plan subset = CapacityPlanner.plan(setup, true, SimulateRanks.auto());
        assertThat(full.ranks().isSubset()).isFalse();
        assertThat(subset.ranks()).isEqualTo(new SimulatedRanks(8, setup.ep(), RankSymmetry.SAME));
        assertThat(OverlapReport.of(subset.pickSpans()).devices()).hasSize(8);
        assertThat(subset.predictions()).hasSize(2).hasSameSizeAs(full.predictions());
        for (int i = 0; i < full.predictions().size(); i++) {
            CapacityPlanner.Prediction f = full.predictions().get(i);
            CapacityPlanner.Prediction s = subset.predictions().get(i);
            String what = setup.profile().name() + " " + setup.attention() + " EP" + setup.ep() + " " + f.schedule();
            assertThat(s.schedule()).isEqualTo(f.schedule());
            assertThat((double) s.stepNanos()).as(what).isCloseTo(f.stepNanos(), within(0.005 * f.stepNanos()));
            assertThat(s.commShare()).as(what).isCloseTo(f.commShare(), within(0.005));
            assertThat(s.computeShare()).as(what).isCloseTo(f.computeShare(), within(0.005));
            assertThat(s.hiddenPercent()).as(what).isCloseTo(f.hiddenPercent(), within(0.5));
            assertThat((double) s.contentionNanos()).as(what)
                    .isCloseTo(f.contentionNanos(), within(0.005 * f.stepNanos()));
            assertThat(s.peakBytes()).as(what).isEqualTo(f.peakBytes());
        }
        assertThat(subset.pick().schedule()).isEqualTo(full.pick().schedule());
    }

    @Test
    void dataParallelAttentionSubsetMatchesEveryRankSimulated() {
        subsetPredictsTheFullSimulation(v3("h800", 4, AttentionMode.DP, 32, 512, 0, 0, RoutingModel.balanced()));
        subsetPredictsTheFullSimulation(v3("910b2", 4, AttentionMode.DP, 0, 0, 32 * 64, 1024, RoutingModel.balanced()));
    }

    @Test
    void tensorParallelAttentionSubsetMatchesEveryRankSimulated() {
        subsetPredictsTheFullSimulation(v3("h800", 4, AttentionMode.TP, 1, 2048, 0, 0, RoutingModel.balanced()));
        subsetPredictsTheFullSimulation(v3("910b2", 8, AttentionMode.TP, 1, 4096, 0, 0, RoutingModel.balanced()));
    }

    private static SimulatedRanks auto(PlanSetup setup) {
        return RankSymmetry.choose(setup, List.of(CapacityPlanner.step(setup, 1), CapacityPlanner.step(setup, 2)),
                SimulateRanks.auto());
    }

    @Test
    void ranksThatDifferAreAllSimulated() {
        // skewed routing: the ranks' experts are loaded unevenly
        CapacityPlanner.Plan skewed = CapacityPlanner.plan(
                v3("h800", 2, AttentionMode.DP, 16, 256, 0, 0, RoutingModel.zipf(1.2, 1)), false);
        assertThat(skewed.ranks().isSubset()).isFalse();
        assertThat(skewed.ranks().summary()).startsWith("simulated all 16 ranks (").contains("zipf:1.20");
        // a request count that is not a multiple of EP
        assertThat(auto(v3("h800", 4, AttentionMode.DP, 33, 512, 0, 0, RoutingModel.balanced())).reason())
                .contains("different batches").contains("rank 0: 1024 new tokens");
        // the same batch everywhere, but 16 tokens x 8 experts leave 128 pairs over 256 experts: the first ranks'
        // experts get one more
        assertThat(auto(v3("h800", 4, AttentionMode.DP, 0, 0, 32 * 16, 1024, RoutingModel.balanced())).reason())
                .contains("leaves 128 pairs over the 256 experts");
        // TP: 1000 tokens do not split into equal FFN slices over 32 ranks
        assertThat(auto(v3("h800", 4, AttentionMode.TP, 1, 1000, 0, 0, RoutingModel.balanced())).reason())
                .contains("do not split evenly");
        // a recorded routing gives each rank its own counts
        assertThat(auto(v3("h800", 4, AttentionMode.DP, 32, 512, 0, 0,
                RoutingModel.replay(List.of(List.of(new int[256]))))).reason()).contains("recorded routing");
        // a group no larger than the subset is simulated whole
        assertThat(auto(v3("h800", 1, AttentionMode.DP, 8, 512, 0, 0, RoutingModel.balanced())))
                .isEqualTo(new SimulatedRanks(8, 8, "a group of at most 8 ranks is simulated whole"));
    }

    @Test
    void aForcedSubsetMustDivideTheGroupAndIsRefusedWhenRanksDiffer() {
        PlanSetup symmetric = v3("h800", 4, AttentionMode.DP, 32, 512, 0, 0, RoutingModel.balanced());
        List<CapacityPlanner.Step> steps = List.of(CapacityPlanner.step(symmetric, 1));
        assertThat(RankSymmetry.choose(symmetric, steps, SimulateRanks.exactly(4)))
                .isEqualTo(new SimulatedRanks(4, 32, RankSymmetry.SAME));
        assertThat(RankSymmetry.choose(symmetric, steps, SimulateRanks.exactly(32)).isSubset()).isFalse();
        assertThat(RankSymmetry.choose(symmetric, steps, SimulateRanks.all()))
                .isEqualTo(new SimulatedRanks(32, 32, "as asked"));
        assertThatThrownBy(() -> RankSymmetry.choose(symmetric, steps, SimulateRanks.exactly(3)))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("does not divide");
        assertThatThrownBy(() -> RankSymmetry.choose(symmetric, steps, SimulateRanks.exactly(64)))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("does not divide");
        assertThat(RankSymmetry.choose(symmetric, steps, SimulateRanks.exactly(1)))
                .isEqualTo(new SimulatedRanks(1, 32, RankSymmetry.SAME));
        assertThat(RankSymmetry.subsetSize(256)).isEqualTo(8);
        assertThat(RankSymmetry.subsetSize(12)).isEqualTo(6);
        assertThat(RankSymmetry.subsetSize(11)).isEqualTo(11);
        PlanSetup uneven = v3("h800", 4, AttentionMode.DP, 33, 512, 0, 0, RoutingModel.balanced());
        assertThatThrownBy(() -> CapacityPlanner.plan(uneven, false, SimulateRanks.exactly(8)))
                .isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("cannot simulate 8 of 32 ranks: the ranks get different batches");
        assertThat(SimulateRanks.parse("AUTO")).isEqualTo(SimulateRanks.auto());
        assertThat(SimulateRanks.parse("all")).isEqualTo(SimulateRanks.all());
        assertThat(SimulateRanks.parse(" 16 ").count()).isEqualTo(16);
        assertThatThrownBy(() -> SimulateRanks.parse("0")).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> SimulateRanks.parse("some")).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("all, auto or a positive number");
    }
}
