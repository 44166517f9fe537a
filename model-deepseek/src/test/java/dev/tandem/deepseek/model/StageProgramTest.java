package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.StreamRole;
import dev.tandem.runtime.schedule.Schedule;
import dev.tandem.runtime.schedule.Stage;
import dev.tandem.runtime.schedule.StageKind;
import dev.tandem.runtime.schedule.StageProgram;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.tandem.deepseek.model.ModelTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The single layer definition: stage lists, kinds, dataflow, host blocking, schedules, trace tags. */
class StageProgramTest extends LeakCheck {
    static final DeepSeekConfig V3 = DeepSeekConfig.preset("tiny-v3");

    static List<String> names(StageProgram<DecoderMicroBatch> p) {
        return p.stages().stream().map(Stage::name).toList();
    }

    static int index(StageProgram<DecoderMicroBatch> p, String name) {
        return names(p).indexOf(name);
    }

    @Test
    void stageListsPerLayerKindAndAttentionMode() {
        try (TandemRuntime rt = host(2);
             DecoderRunner dp = new DecoderRunner(rt, V3, WeightSource.random(V3, 1), 0, 2, DecoderRunner.Options.defaults(2))) {
            StageProgram<DecoderMicroBatch> p = dp.program(1);
            assertThat(names(p)).containsExactly("L0/attention", "L0/mlp", "L1/attention", "L1/gate", "L1/shared",
                    "L1/dispatch-counts", "L1/dispatch", "L1/experts", "L1/combine", "L1/moe-output");
            assertThat(p.stages().stream().filter(s -> s.kind() == StageKind.COMM).map(Stage::name))
                    .containsExactly("L1/dispatch-counts", "L1/dispatch", "L1/combine");
            assertThat(p.stages().stream().filter(Stage::blocksHost).map(Stage::name))
                    .containsExactly("L1/dispatch-counts", "L1/dispatch");
            // dataflow: experts follows dispatch; layer 1 attention follows layer 0's output; the KV cache is shared
            assertThat(p.localDependencies(index(p, "L1/experts"))).contains(index(p, "L1/dispatch"));
            assertThat(p.localDependencies(index(p, "L1/attention"))).contains(index(p, "L0/mlp"));
            assertThat(p.localDependencies(index(p, "L1/moe-output"))).contains(index(p, "L1/attention"),
                    index(p, "L1/shared"), index(p, "L1/dispatch-counts"), index(p, "L1/combine"));
            assertThat(p.sharedDependencies(index(p, "L1/attention"))).containsExactly(index(p, "L1/attention"));
            // the dual-batch-overlap schedule puts communication on the comm stream and keeps attention order
            Schedule<DecoderMicroBatch> dbo = dev.tandem.runtime.schedule.Schedules.overlapped(p, 2);
            assertThat(dbo.usesCommStream()).isTrue();
            assertThat(dbo.steps().stream().filter(s -> s.stream() == StreamRole.COMM)
                    .map(s -> p.stage(s.stage()).kind()).distinct()).containsExactly(StageKind.COMM);
        }
        try (TandemRuntime rt = host(2);
             DecoderRunner tp = new DecoderRunner(rt, V3, WeightSource.random(V3, 1), 0, 2,
                     DecoderRunner.Options.defaults(2).withAttention(AttentionMode.TP))) {
            assertThat(names(tp.program(0))).startsWith("L0/attention", "L0/attn-allreduce", "L0/attn-residual", "L0/mlp",
                    "L0/tp-allgather", "L1/attention", "L1/attn-allreduce", "L1/attn-residual", "L1/gate")
                    .endsWith("L1/moe-output", "L1/tp-allgather");
        }
    }

    @Test
    void everyOperationIsTaggedWithMicroBatchLayerAndStage() {
        for (DecoderRunner.Scheduling sched : DecoderRunner.Scheduling.values()) {
            try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(2).withTracing(true));
                 DecoderRunner r = new DecoderRunner(rt, V3, WeightSource.random(V3, 1), 0, 2,
                         DecoderRunner.Options.defaults(2).withScheduling(sched))) {
                rt.tracer().clear();
                float[] x = randomHidden(6, V3.hiddenSize(), 2);
                List<DecoderRunner.Request> reqs = requests(V3, x, new int[]{2, 2, 1, 1});
                List<DecoderRunner.Request> two = new java.util.ArrayList<>();
                for (int i = 0; i < reqs.size(); i++) {
                    var q = reqs.get(i);
                    two.add(new DecoderRunner.Request(q.id(), q.hidden(), q.positions(), i % 2));
                }
                r.forward(two);
                List<TraceSpan> spans = rt.tracer().spans();
                Set<String> tags = spans.stream().map(TraceSpan::tag).filter(t -> t != null).collect(Collectors.toSet());
                assertThat(tags).contains("mb0/L0/attention", "mb1/L0/mlp", "mb0/L1/gate", "mb1/L1/dispatch",
                        "mb0/L1/dispatch-counts", "mb1/L1/experts", "mb0/L1/combine", "mb1/L1/moe-output");
                assertThat(spans.stream().filter(s -> s.name().equals("allToAllV")).map(TraceSpan::tag)
                        .collect(Collectors.toSet())).allMatch(t -> t.endsWith("/dispatch") || t.endsWith("/combine"));
                Set<StreamRole> a2aStreams = spans.stream().filter(s -> s.name().equals("allToAllV")).map(TraceSpan::role)
                        .collect(Collectors.toSet());
                assertThat(a2aStreams).as(sched.name()).containsExactly(
                        sched == DecoderRunner.Scheduling.OVERLAPPED ? StreamRole.COMM : StreamRole.COMPUTE);
            }
        }
    }
}
