package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static dev.tandem.deepseek.model.ModelTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Expert parallelism, TP attention and schedules must not change the numbers. */
class ParallelTest extends LeakCheck {
    static final DeepSeekConfig V3 = DeepSeekConfig.preset("tiny-v3");
    static final int[] LENS = {5, 1, 4, 2, 3};

    static float[] run(DeepSeekConfig c, DecoderRunner.Options o, float[] x, int[] lens) {
        try (TandemRuntime rt = host(o.ranks());
             DecoderRunner r = new DecoderRunner(rt, c, WeightSource.random(c, 7), 0, 2, o)) {
            return r.forward(requests(c, x, lens));
        }
    }

    @Test
    void expertParallelRanksAgreeExactly() {
        float[] x = randomHidden(15, V3.hiddenSize(), 3);
        float[] p1 = run(V3, DecoderRunner.Options.defaults(1), x, LENS);
        float[] p2 = run(V3, DecoderRunner.Options.defaults(2), x, LENS);
        float[] p4 = run(V3, DecoderRunner.Options.defaults(4), x, LENS);
        assertThat(p2).as("P=2 vs P=1").containsExactly(p1);
        assertThat(p4).as("P=4 vs P=1").containsExactly(p1);
    }

    @Test
    void moreRanksThanRequestsLeavesSomeRanksEmpty() {
        float[] x = randomHidden(6, V3.hiddenSize(), 4);
        int[] lens = {6};
        float[] p1 = run(V3, DecoderRunner.Options.defaults(1), x, lens);
        float[] p4 = run(V3, DecoderRunner.Options.defaults(4), x, lens);
        assertThat(p4).containsExactly(p1);
    }

    @ParameterizedTest(name = "TP over {0} ranks")
    @ValueSource(ints = {2, 4})
    void tensorParallelAttentionMatchesDataParallel(int ranks) {
        float[] x = randomHidden(15, V3.hiddenSize(), 3);
        float[] dp = run(V3, DecoderRunner.Options.defaults(1), x, LENS);
        float[] tp = run(V3, DecoderRunner.Options.defaults(ranks).withAttention(AttentionMode.TP), x, LENS);
        assertThat(relErr(tp, dp)).isLessThan(1e-5);
    }

    @Test
    void v2LiteWithoutQLoraAgreesAcrossRanksAndModes() {
        DeepSeekConfig c = DeepSeekConfig.preset("tiny-v2lite");
        float[] x = randomHidden(9, c.hiddenSize(), 8);
        int[] lens = {4, 5};
        float[] p1 = run(c, DecoderRunner.Options.defaults(1), x, lens);
        assertThat(run(c, DecoderRunner.Options.defaults(2), x, lens)).containsExactly(p1);
        assertThat(relErr(run(c, DecoderRunner.Options.defaults(4).withAttention(AttentionMode.TP), x, lens), p1))
                .isLessThan(1e-5);
    }


    @Test
    void bf16WeightsStayClose() {
        float[] x = randomHidden(15, V3.hiddenSize(), 3);
        float[] f32 = run(V3, DecoderRunner.Options.defaults(1), x, LENS);
        float[] bf16 = run(V3, DecoderRunner.Options.defaults(2).withWeightDType(DType.BF16), x, LENS);
        assertThat(relErr(bf16, f32)).isLessThan(0.05);
    }

    @Test
    void microBatchesMatchOneBatchUnderEverySchedule() {
        float[] x = randomHidden(15, V3.hiddenSize(), 3);
        float[] one = run(V3, DecoderRunner.Options.defaults(2), x, LENS);
        List<DecoderRunner.Request> reqs = requests(V3, x, LENS);
        List<DecoderRunner.Request> split = new java.util.ArrayList<>();
        for (int i = 0; i < reqs.size(); i++) {
            DecoderRunner.Request q = reqs.get(i);
            split.add(new DecoderRunner.Request(q.id(), q.hidden(), q.positions(), i % 2));
        }
        for (var sched : DecoderRunner.Scheduling.values()) {
            for (AttentionMode mode : AttentionMode.values()) {
                try (TandemRuntime rt = host(2);
                     DecoderRunner r = new DecoderRunner(rt, V3, WeightSource.random(V3, 7), 0, 2,
                             DecoderRunner.Options.defaults(2).withScheduling(sched).withAttention(mode))) {
                    float[] got = r.forward(split);
                    if (mode == AttentionMode.DP) {
                        assertThat(got).as(sched + " " + mode).containsExactly(one);
                    } else {
                        assertThat(relErr(got, one)).as(sched + " " + mode).isLessThan(1e-5);
                    }
                }
            }
        }
    }

    @Test
    void badRequestsAndPlacementsAreRejectedUpFront() {
        try (TandemRuntime rt = host(2);
             DecoderRunner r = new DecoderRunner(rt, V3, WeightSource.random(V3, 7), 0, 2, DecoderRunner.Options.defaults(2))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.forward(List.of(
                    new DecoderRunner.Request(1, new float[5], new int[]{0})))).hasMessageContaining("expected 1 x 512");
            float[] row = new float[V3.hiddenSize()];
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.forward(List.of(
                    new DecoderRunner.Request(1, row, new int[]{0}, 1), new DecoderRunner.Request(1, row, new int[]{1}, 0))))
                    .hasMessageContaining("increasing micro-batches");
            // the runner still works afterwards
            assertThat(r.forward(List.of(new DecoderRunner.Request(1, row, new int[]{0})))).hasSize(V3.hiddenSize());
        }
        try (TandemRuntime rt = host(3)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DecoderRunner(rt, V3, WeightSource.random(V3, 7), 0, 2,
                    DecoderRunner.Options.defaults(3))).hasMessageContaining("n_routed_experts (16) must be divisible by the 3");
        }
        try (TandemRuntime rt = host(1)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DecoderRunner(rt, V3, WeightSource.random(V3, 7), 0, 2,
                    DecoderRunner.Options.defaults(2))).hasMessageContaining("2 ranks need 2 devices");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DecoderRunner(rt, V3, WeightSource.random(V3, 7), 2, 5,
                    DecoderRunner.Options.defaults(1))).hasMessageContaining("layers 2:5");
        }
        DeepSeekConfig small = DeepSeekConfig.preset("small-v2");
        try (TandemRuntime rt = host(8)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DecoderRunner(rt, small, WeightSource.random(small, 7), 0, 1,
                    DecoderRunner.Options.defaults(8).withAttention(AttentionMode.TP)))
                    .hasMessageContaining("num_attention_heads (12) must be divisible by the 8");
        }
    }
}
