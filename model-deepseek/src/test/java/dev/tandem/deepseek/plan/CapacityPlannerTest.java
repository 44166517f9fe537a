package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.RoutingModel;
import dev.tandem.runtime.trace.OverlapReport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapacityPlannerTest {
    private static PlanSetup v2lite(String hardware, int count, int length, RoutingModel routing) {
        return new PlanSetup("deepseek-v2-lite", DeepSeekConfig.preset("deepseek-v2-lite"), 3,
                HardwareProfile.load(hardware), 1, AttentionMode.DP, 1, 8, "bf16", count, length, 0, 0, 2, routing);
    }

    @Test
    void aPrefillPlanPredictsEverySchedulesStepAndPicksWithAReason() {
        CapacityPlanner.Plan plan = CapacityPlanner.plan(v2lite("910b2", 8, 2048, RoutingModel.balanced()));
        assertThat(plan.predictions()).extracting(CapacityPlanner.Prediction::schedule).containsExactly("sequential", "dbo");
        CapacityPlanner.Prediction seq = plan.sequential();
        CapacityPlanner.Prediction dbo = plan.predictions().get(1);
        assertThat(seq.hiddenPercent()).isZero();                  // sequential hides nothing
        assertThat(dbo.hiddenPercent()).isPositive();
        assertThat(seq.commNanos()).isPositive();
        assertThat(seq.peakBytes()).isPositive();
        assertThat(plan.reason()).isNotBlank();
        assertThat(plan.pick()).isIn(seq, dbo);
        assertThat(OverlapReport.of(plan.pickSpans()).devices()).hasSize(8);
        // deterministic: the same setup predicts the same times
        assertThat(CapacityPlanner.plan(v2lite("910b2", 8, 2048, RoutingModel.balanced())).predictions())
                .isEqualTo(plan.predictions());
    }

    /**
     * Each operation costs its host the profile's launch time. A decode step of a small model issues about as many
     * operations as its device computes for (decode attention is one operation per layer, whatever the number of
     * requests), so on an H800's 5 us launches it is bound by its host, and the plan says so; a long prefill is not.
     */
    @Test
    void aStepWhoseHostIssuesMostOfItsTimeIsReportedAsHostBound() {
        HardwareProfile h800 = HardwareProfile.load("h800");
        CapacityPlanner.Plan decode = CapacityPlanner.plan(decode(h800, 512), false);
        CapacityPlanner.Prediction step = decode.pick();
        // h800 zeroes no buffers on its host: the host's work is its launches, 5 us each
        assertThat(step.hostWorkNanos()).isEqualTo(step.operations() * 5_000);
        assertThat(step.hostWorkNanos()).isGreaterThanOrEqualTo(step.stepNanos() / 2);
        assertThat(CapacityPlanner.hostBound(decode)).contains("bound by the host")
                .contains(String.format(java.util.Locale.ROOT, "%,d operations", step.operations()));
        // eight times the requests, the same operations: the requests of a micro-batch attend as one batch
        assertThat(CapacityPlanner.plan(decode(h800, 64), false).pick().operations()).isEqualTo(step.operations());
        // a short step of a small model is nearly host-bound on an H800 too: 8192 tokens per device are not
        CapacityPlanner.Plan prefill = CapacityPlanner.plan(v2lite("h800", 8, 8192, RoutingModel.balanced()));
        assertThat(prefill.pick().hostWorkNanos()).isPositive().isLessThan(prefill.pick().stepNanos() / 2);
        assertThat(CapacityPlanner.hostBound(prefill)).isNull();
    }

    /** A decode step's cached context is resident before the step: it counts in the peak, not as activations. */
    @Test
    void aDecodeStepsCachedContextIsResidentNotAllocatedByTheStep() {
        DeepSeekConfig v2lite = DeepSeekConfig.preset("deepseek-v2-lite");
        CapacityPlanner.Prediction step = CapacityPlanner.plan(decode(HardwareProfile.load("h800"), 512), false).pick();
        // 64 requests per device, 1024 cached tokens, 3 layers, F32 latent and rope key
        long context = 64L * 1024 * 3 * (v2lite.kvLoraRank() + v2lite.qkRopeHeadDim()) * Float.BYTES;
        assertThat(step.peakBytes()).isGreaterThan(context);
        assertThat(step.activationBytes()).isPositive().isLessThan(context / 10);
    }

    private static PlanSetup decode(HardwareProfile profile, int requests) {
        return new PlanSetup("deepseek-v2-lite", DeepSeekConfig.preset("deepseek-v2-lite"), 3, profile, 1,
                AttentionMode.DP, 1, 8, "bf16", 0, 0, requests, 1024, 2, RoutingModel.balanced());
    }

    @Test
    void computeSlowedByCommunicationLengthensTheOverlappedStepInsideTheSimulation() {
        HardwareProfile h800 = HardwareProfile.load("h800");
        assertThat(h800.commSlowdown()).isPositive();
        CapacityPlanner.Plan contended = CapacityPlanner.plan(v2lite(h800, 8, 2048));
        CapacityPlanner.Plan free = CapacityPlanner.plan(v2lite(h800.withCommSlowdown(0), 8, 2048));
        // sequential runs its collectives on the compute stream: nothing overlaps, nothing slows
        assertThat(contended.sequential().stepNanos()).isEqualTo(free.sequential().stepNanos());
        assertThat(contended.sequential().contentionNanos()).isZero();
        // dbo's kernels overlap the other micro-batch's communication: they stretch, and the step with them
        CapacityPlanner.Prediction dbo = contended.predictions().get(1);
        CapacityPlanner.Prediction dboFree = free.predictions().get(1);
        assertThat(dboFree.contentionNanos()).isZero();
        assertThat(dbo.contentionNanos()).isPositive();
        assertThat(dbo.stepNanos()).isGreaterThan(dboFree.stepNanos());
        // the stretch is inside the simulated step, not added on top: the step grows by at most the stretch
        assertThat(dbo.stepNanos() - dboFree.stepNanos()).isLessThanOrEqualTo(dbo.contentionNanos());
    }

    /**
     * Peak memory is taken in virtual time ({@code MemoryTimeline}): an allocation counts from when the host issues
     * it, a free from when its streams reach it. Counted in the order the engine resolved them, the same sequential
     * timeline showed 9.8 GiB of activations with {@code comm.slowdown} 0.1 and 4.9 GiB with 0 (the frees then
     * resolved as soon as they were issued, before the host's next allocations). Sequential's timeline does not
     * change with the slow-down, so neither may its memory.
     */
    @Test
    void peakActivationMemoryDoesNotDependOnWhenTheEngineResolvesFrees() {
        HardwareProfile b2 = HardwareProfile.load("910b2");
        assertThat(b2.commSlowdown()).isPositive();
        CapacityPlanner.Plan contended = CapacityPlanner.plan(r1(b2, 4), false);
        CapacityPlanner.Plan free = CapacityPlanner.plan(r1(b2.withCommSlowdown(0), 4), false);
        assertThat(contended.sequential().stepNanos()).isEqualTo(free.sequential().stepNanos());
        assertThat(contended.sequential().activationBytes()).isEqualTo(free.sequential().activationBytes())
                .isPositive();
        assertThat(contended.sequential().peakBytes()).isEqualTo(free.sequential().peakBytes());
    }

    private static PlanSetup r1(HardwareProfile hardware, int layers) {
        return new PlanSetup("deepseek-r1", DeepSeekConfig.preset("deepseek-r1"), layers, hardware, 2,
                AttentionMode.DP, 1, 16, "bf16", 16, 4096, 0, 0, 2, RoutingModel.balanced());
    }

    private static PlanSetup v2lite(HardwareProfile hardware, int count, int length) {
        return new PlanSetup("deepseek-v2-lite", DeepSeekConfig.preset("deepseek-v2-lite"), 3, hardware, 1,
                AttentionMode.DP, 1, 8, "bf16", count, length, 0, 0, 2, RoutingModel.balanced());
    }

    @Test
    void expertSkewSlowsTheStepAndIsReported() {
        CapacityPlanner.Plan balanced = CapacityPlanner.plan(v2lite("h800", 8, 1024, RoutingModel.balanced()), false);
        CapacityPlanner.Plan skewed = CapacityPlanner.plan(v2lite("h800", 8, 1024, RoutingModel.zipf(1.2, 1)), false);
        assertThat(balanced.imbalance()).isEqualTo(1.0);
        assertThat(skewed.imbalance()).isGreaterThan(1.2);
        assertThat(skewed.sequential().stepNanos()).isGreaterThan(balanced.sequential().stepNanos());
    }

    /**
     * Devices that share compute (the host profile's {@code host.alone.speedup}): with balanced routing every rank
     * computes at the same virtual times, so nothing changes; with skewed routing the busiest ranks compute on while
     * the others wait in the all-to-all, faster for it, so the step shortens, but by less than the speed-up.
     */
    @Test
    void devicesThatShareComputeSpeedUpWhileOthersWait() {
        HardwareProfile h800 = HardwareProfile.load("h800").withCommSlowdown(0);
        HardwareProfile shared = h800.withAloneSpeedup(1);
        CapacityPlanner.Plan balanced = CapacityPlanner.plan(v2lite(h800, 8, 1024), false);
        CapacityPlanner.Plan balancedShared = CapacityPlanner.plan(v2lite(shared, 8, 1024), false);
        assertThat(balancedShared.sequential().stepNanos()).isEqualTo(balanced.sequential().stepNanos());

        RoutingModel skew = RoutingModel.zipf(1.2, 1);
        PlanSetup alone = new PlanSetup("deepseek-v2-lite", DeepSeekConfig.preset("deepseek-v2-lite"), 3, h800, 1,
                AttentionMode.DP, 1, 8, "bf16", 8, 1024, 0, 0, 2, skew);
        PlanSetup sharing = new PlanSetup("deepseek-v2-lite", DeepSeekConfig.preset("deepseek-v2-lite"), 3, shared, 1,
                AttentionMode.DP, 1, 8, "bf16", 8, 1024, 0, 0, 2, skew);
        long own = CapacityPlanner.plan(alone, false).sequential().stepNanos();
        long shares = CapacityPlanner.plan(sharing, false).sequential().stepNanos();
        assertThat(shares).isLessThan(own).isGreaterThan(own / 2);
        // deterministic like every plan
        assertThat(CapacityPlanner.plan(sharing, false).sequential().stepNanos()).isEqualTo(shares);
    }

    /**
     * The all-to-all-v sizes come from an all-gather of every rank's per-expert counts, which outgrows the sim's
     * data limit at large EP (256 experts x 128 ranks x 4 bytes = 128 KiB): the gathered counts must still carry
     * data, or the step routes no tokens. Same tokens per device, so per-device traffic barely changes with EP.
     */
    @Test
    void largeExpertParallelGroupsStillRouteTheirTokens() {
        DeepSeekConfig v3 = DeepSeekConfig.preset("deepseek-v3");
        HardwareProfile h800 = HardwareProfile.load("h800");
        double[] comm = new double[2];
        int[] nodes = {8, 16};
        for (int i = 0; i < 2; i++) {
            int ep = nodes[i] * 8;
            PlanSetup setup = new PlanSetup("v3", v3, v3.firstKDenseReplace() + 1, h800, nodes[i], AttentionMode.DP, 1,
                    ep, "fp8", ep, 512, 0, 0, 2, RoutingModel.balanced());
            comm[i] = CapacityPlanner.plan(setup, false).sequential().commNanos();
        }
        assertThat(comm[0]).isPositive();
        assertThat(comm[1]).isBetween(0.8 * comm[0], 1.5 * comm[0]);
    }

    @Test
    void fasterHardwareGivesAFasterStep() {
        long b4 = CapacityPlanner.plan(v2lite("910b4", 8, 1024, RoutingModel.balanced()), false).sequential().stepNanos();
        long h200 = CapacityPlanner.plan(v2lite("h200", 8, 1024, RoutingModel.balanced()), false).sequential().stepNanos();
        assertThat(h200).isLessThan(b4);
    }

    @Test
    void layoutsTandemCannotRunAreRejectedWithTheReason() {
        DeepSeekConfig v3 = DeepSeekConfig.preset("deepseek-v3");
        HardwareProfile h800 = HardwareProfile.load("h800");
        assertThatThrownBy(() -> new PlanSetup("v3", v3, 61, h800, 2, AttentionMode.DP, 1, 8, "bf16", 1, 1, 0, 0, 2,
                RoutingModel.balanced())).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("--ep 8 must equal");
        assertThatThrownBy(() -> new PlanSetup("v3", v3, 61, h800, 1, AttentionMode.TP, 4, 8, "bf16", 1, 1, 0, 0, 2,
                RoutingModel.balanced())).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("--tp 4 must equal");
        assertThatThrownBy(() -> new PlanSetup("v3", v3, 61, HardwareProfile.load("910b2"), 1, AttentionMode.DP, 1, 8,
                "fp8", 1, 1, 0, 0, 2, RoutingModel.balanced())).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("fp8");
    }
}
