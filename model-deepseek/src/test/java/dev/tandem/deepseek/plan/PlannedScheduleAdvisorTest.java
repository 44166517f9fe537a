package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.RoutingModel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PlannedScheduleAdvisorTest {
    @Test
    void adviceFollowsThePlannersPickAndIsCachedPerShape() {
        PlanSetup deployment = new PlanSetup("deepseek-v2-lite", DeepSeekConfig.preset("deepseek-v2-lite"), 3,
                HardwareProfile.load("910b2"), 1, AttentionMode.DP, 1, 8, "bf16", 1, 1, 0, 0, 2, RoutingModel.balanced());
        PlannedScheduleAdvisor advisor = new PlannedScheduleAdvisor(deployment);
        PlannedScheduleAdvisor.PlannedAdvice advice = advisor.advise(8, 2048, 0, 0);
        CapacityPlanner.Plan plan = CapacityPlanner.plan(deployment.withPrefill(8, 2048));
        assertThat(advice.overlap()).isEqualTo(plan.pick() != plan.sequential());
        assertThat(advice.microBatches()).isEqualTo(advice.overlap() ? plan.pick().microBatches() : 1);
        assertThat(advice.speedup()).isEqualTo(advice.overlap() ? plan.speedup(plan.pick()) : 1.0);
        assertThat(advice.reason()).isEqualTo(plan.reason());
        assertThat(advisor.advise(8, 2048, 0, 0)).isSameAs(advice);
    }
}
