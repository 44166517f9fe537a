package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MicroBatchPlannerTest {
    private static final MicroBatchPlanner.CostModel TOKENS = MicroBatchPlanner.CostModel.tokensOnly();

    @Test
    void balancedRequestsSplitAtARequestBoundary() {
        var planner = new MicroBatchPlanner(4, 0.1, true, TOKENS);
        MicroBatchPlan plan = planner.plan(List.of(new RequestShape(30, 0), new RequestShape(34, 0),
                new RequestShape(32, 0), new RequestShape(32, 0)), 2);
        assertThat(plan.isSplit()).isTrue();
        assertThat(plan.splitsARequest()).isFalse();
        assertThat(plan.tokens(0)).isEqualTo(64);
        assertThat(plan.tokens(1)).isEqualTo(64);
        assertThat(plan.reason()).contains("request boundaries");
    }

    @Test
    void oneLongPrefillIsCutAtATokenBoundary() {
        var planner = new MicroBatchPlanner(4, 0.1, true, TOKENS);
        MicroBatchPlan plan = planner.plan(List.of(new RequestShape(100, 0)), 2);
        assertThat(plan.splitsARequest()).isTrue();
        assertThat(plan.microBatches().get(0)).containsExactly(new RequestSlice(0, 0, 50));
        assertThat(plan.microBatches().get(1)).containsExactly(new RequestSlice(0, 50, 100));
    }

    @Test
    void costAwareSplitGivesTheLaterHalfOfAPrefillFewerTokens() {
        // attention dominates: the second part attends to the first part's keys, so it must be shorter
        var planner = new MicroBatchPlanner(4, 0.05, true, new MicroBatchPlanner.CostModel(1, 1));
        MicroBatchPlan plan = planner.plan(List.of(new RequestShape(1000, 0)), 2);
        assertThat(plan.tokens(0)).isGreaterThan(plan.tokens(1));
        assertThat(plan.imbalance()).isLessThan(1.01);
        MicroBatchPlan naive = new MicroBatchPlanner(4, 0.05, true, TOKENS).plan(List.of(new RequestShape(1000, 0)), 2);
        assertThat(naive.tokens(0)).isEqualTo(500);
    }

    @Test
    void decodeStepsAreNeverCutAndTinyBatchesFallBack() {
        var planner = new MicroBatchPlanner(2, 0.1, true, TOKENS);
        List<RequestShape> decode = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            decode.add(new RequestShape(1, 100 + i));
        }
        MicroBatchPlan plan = planner.plan(decode, 2);
        assertThat(plan.isSplit()).isTrue();
        assertThat(plan.splitsARequest()).isFalse();
        assertThat(plan.tokens(0) + plan.tokens(1)).isEqualTo(7);
        MicroBatchPlan tiny = planner.plan(List.of(new RequestShape(3, 0)), 2);
        assertThat(tiny.isSplit()).isFalse();
        assertThat(tiny.reason()).contains("not split").contains("at least 2 tokens");
        assertThat(new MicroBatchPlanner(4, 0.1, false, TOKENS).plan(List.of(new RequestShape(100, 0)), 2).isSplit())
                .isFalse();
    }

    @Test
    void randomBatchesArePartitionedExactlyInOrder() {
        Random random = new Random(5);
        for (int trial = 0; trial < 500; trial++) {
            List<RequestShape> requests = new ArrayList<>();
            int n = 1 + random.nextInt(6);
            for (int i = 0; i < n; i++) {
                requests.add(random.nextBoolean() ? new RequestShape(1, 1 + random.nextInt(50))
                        : new RequestShape(1 + random.nextInt(60), random.nextInt(20)));
            }
            int parts = 1 + random.nextInt(4);
            var planner = new MicroBatchPlanner(1 + random.nextInt(4), random.nextDouble() * 0.3, random.nextBoolean(),
                    new MicroBatchPlanner.CostModel(1, random.nextDouble()));
            MicroBatchPlan plan = planner.plan(requests, parts);
            assertThat(plan.size()).isBetween(1, parts);
            int request = 0;
            int token = 0;
            for (List<RequestSlice> mb : plan.microBatches()) {
                assertThat(mb).isNotEmpty();
                for (RequestSlice s : mb) {
                    if (s.request() != request) {
                        assertThat(token).isEqualTo(requests.get(request).newTokens());
                        request++;
                        token = 0;
                    }
                    assertThat(s.request()).isEqualTo(request);
                    assertThat(s.start()).isEqualTo(token);
                    assertThat(s.end()).isGreaterThan(s.start());
                    token = s.end();
                }
            }
            assertThat(request).isEqualTo(requests.size() - 1);
            assertThat(token).isEqualTo(requests.getLast().newTokens());
        }
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> new RequestShape(0, 0)).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> new MicroBatchPlanner(0, 0.1, true, TOKENS)).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> new MicroBatchPlanner(1, 0.1, true, TOKENS).plan(List.of(), 2))
                .isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> new MicroBatchPlanner.CostModel(-1, 0)).isInstanceOf(InvalidArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void namedOptionsBuildTheSamePlannerAsThePositionalForm() {
        var named = MicroBatchPlanner.Options.defaults().minTokens(4).tolerance(0.05).cost(TOKENS).build();
        var positional = new MicroBatchPlanner(4, 0.05, true, TOKENS);
        var shapes = java.util.List.of(new RequestShape(12, 0), new RequestShape(7, 3), new RequestShape(1, 40));
        org.assertj.core.api.Assertions.assertThat(named.plan(shapes, 2).microBatches())
                .isEqualTo(positional.plan(shapes, 2).microBatches());
        org.assertj.core.api.Assertions.assertThat(MicroBatchPlanner.Options.defaults().splitRequests())
                .isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MicroBatchPlanner.Options.defaults().minTokens(0).build())
                .isInstanceOf(dev.tandem.runtime.InvalidArgumentException.class);
    }
}
