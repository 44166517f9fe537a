package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.DecoderRunner.Request;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine's use of a {@link StepScheduleAdvisor}: only for auto, within its maximum, never failing a step. */
class ScheduleAdvisorTest {
    private static List<Request> prompts(long firstId, int d, int... lengths) {
        List<Request> out = new java.util.ArrayList<>();
        for (int r = 0; r < lengths.length; r++) {
            out.add(new Request(firstId + r, EngineFixtures.hidden(r, lengths[r], d), EngineFixtures.positions(0, lengths[r])));
        }
        return out;
    }

    @Test
    void theEngineFollowsTheAdvisorWithinTheChoicesMaximum() {
        List<List<dev.tandem.runtime.schedule.RequestShape>> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        StepScheduleAdvisor greedy = (batch, max) -> {
            asked.add(batch);
            return new StepScheduleAdvisor.Advice(4, "always four");
        };
        try (DeepSeekEngine engine = EngineFixtures.engine().scheduleAdvisor(greedy).build()) {
            int d = engine.config().hiddenSize();
            ForwardResult seq = engine.forward(prompts(1, d, 20, 12, 9), ScheduleChoice.sequential());
            ForwardResult dbo = engine.forward(prompts(11, d, 20, 12, 9), ScheduleChoice.overlapped(2));
            assertThat(asked).isEmpty();     // fixed schedules do not ask
            ForwardResult auto = engine.forward(prompts(21, d, 20, 12, 9), ScheduleChoice.auto(3));
            assertThat(asked).hasSize(1);
            assertThat(asked.getFirst()).extracting(dev.tandem.runtime.schedule.RequestShape::newTokens)
                    .containsExactly(20, 12, 9);
            assertThat(auto.overlapped()).isTrue();
            assertThat(auto.plan().size()).isEqualTo(3);
            assertThat(auto.decision()).isEqualTo("always four (4 micro-batches advised, more than auto(3) allows: 3 used)");
            assertThat(auto.hidden()).containsExactly(seq.hidden());
            assertThat(dbo.hidden()).containsExactly(seq.hidden());
        }
    }

    @Test
    void aFailingAdvisorLeavesTheStepSequentialInsteadOfFailingIt() {
        StepScheduleAdvisor broken = (batch, max) -> {
            throw new IllegalStateException("no profile");
        };
        try (DeepSeekEngine engine = EngineFixtures.engine().scheduleAdvisor(broken).build()) {
            int d = engine.config().hiddenSize();
            ForwardResult r = engine.forward(prompts(1, d, 16, 16), ScheduleChoice.auto(2));
            assertThat(r.overlapped()).isFalse();
            assertThat(r.decision()).startsWith("sequential: the schedule advisor failed")
                    .contains("IllegalStateException: no profile");
            assertThat(r.hidden()).containsExactly(engine.forward(prompts(11, d, 16, 16), ScheduleChoice.sequential())
                    .hidden());
        }
    }

    @Test
    void anAdviceThatCannotBeSplitRunsSequentiallySayingWhy() {
        StepScheduleAdvisor two = (batch, max) -> new StepScheduleAdvisor.Advice(2, "two, please");
        try (DeepSeekEngine engine = EngineFixtures.engine().minMicroBatchTokens(8).scheduleAdvisor(two).build()) {
            ForwardResult r = engine.forward(prompts(1, engine.config().hiddenSize(), 3), ScheduleChoice.auto(2));
            assertThat(r.overlapped()).isFalse();
            assertThat(r.decision()).startsWith("sequential: the batch cannot be split as advised (not split")
                    .endsWith("advice: two, please");
        }
        assertThatThrownBy(() -> new StepScheduleAdvisor.Advice(0, "none")).isInstanceOf(IllegalArgumentException.class);
    }
}
