package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.schedule.LayerProgram;
import dev.tandem.deepseek.schedule.MicroBatch;
import dev.tandem.deepseek.schedule.Stage;
import dev.tandem.deepseek.schedule.StageKind;
import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.tandem.deepseek.model.ModelTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The single layer definition: stage lists, kinds, dataflow, host waits, trace tags. */
class LayerProgramTest extends LeakCheck {
    static final DeepSeekConfig V3 = DeepSeekConfig.preset("tiny-v3");

    static List<String> names(LayerProgram p) {
        return p.stages().stream().map(Stage::name).toList();
    }

    @Test
    void stageListsPerLayerKindAndAttentionMode() {
        try (Runtime rt = host(2);
             DecoderRunner dp = new DecoderRunner(rt, V3, WeightSource.random(V3, 1), 0, 2, DecoderRunner.Options.defaults(2))) {
            assertThat(names(dp.programs(0).get(0))).containsExactly("attention", "mlp");
            LayerProgram moe = dp.programs(1).get(1);
            assertThat(names(moe)).containsExactly("attention", "gate", "shared", "route", "dispatch-counts", "dispatch",
                    "experts", "combine", "moe-output");
            assertThat(moe.stages().stream().filter(s -> s.kind() == StageKind.COMM).map(Stage::name))
                    .containsExactly("dispatch-counts", "dispatch", "combine");
            assertThat(moe.stages().stream().filter(Stage::hostWait).map(Stage::name)).containsExactly("route", "dispatch");
            // dataflow: experts depends on dispatch; moe-output on attention (h), route, combine and shared
            assertThat(moe.predecessors(moe.indexOf("experts"))).containsExactly(moe.indexOf("dispatch"));
            assertThat(moe.predecessors(moe.indexOf("moe-output"))).containsExactly(moe.indexOf("attention"),
                    moe.indexOf("shared"), moe.indexOf("route"), moe.indexOf("combine"));
        }
        try (Runtime rt = host(2);
             DecoderRunner tp = new DecoderRunner(rt, V3, WeightSource.random(V3, 1), 0, 2,
                     DecoderRunner.Options.defaults(2).withAttention(AttentionMode.TP))) {
            assertThat(names(tp.programs(0).get(0))).containsExactly("attention", "attn-allreduce", "attn-residual", "mlp",
                    "tp-allgather");
            assertThat(names(tp.programs(1).get(1))).startsWith("attention", "attn-allreduce", "attn-residual", "gate")
                    .endsWith("moe-output", "tp-allgather");
        }
    }

    @Test
    void programsRejectReadsBeforeWrites() {
        Stage bad = new Stage() {
            public String name() {
                return "x";
            }

            public StageKind kind() {
                return StageKind.COMPUTE;
            }

            public List<String> reads() {
                return List.of("nothing-wrote-this");
            }

            public List<String> writes() {
                return List.of(LayerProgram.HIDDEN);
            }

            public boolean hostWait() {
                return false;
            }

            public void issue(MicroBatch mb, Stream stream) {
            }
        };
        assertThatThrownBy(() -> new LayerProgram(0, List.of(bad))).hasMessageContaining("nothing-wrote-this");
    }

    @Test
    void everyOperationIsTaggedWithMicroBatchLayerAndStage() {
        try (Runtime rt = Runtime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(2).withTracing(true));
             DecoderRunner r = new DecoderRunner(rt, V3, WeightSource.random(V3, 1), 0, 2, DecoderRunner.Options.defaults(2))) {
            rt.tracer().clear();
            float[] x = randomHidden(6, V3.hiddenSize(), 2);
            List<DecoderRunner.Request> reqs = requests(V3, x, new int[]{2, 2, 1, 1});
            List<DecoderRunner.Request> two = new java.util.ArrayList<>();
            for (int i = 0; i < reqs.size(); i++) {
                var q = reqs.get(i);
                two.add(new DecoderRunner.Request(q.id(), q.hidden(), q.positions(), i % 2));
            }
            r.forward(two);
            Set<String> tags = rt.tracer().spans().stream().map(TraceSpan::tag).filter(t -> t != null)
                    .collect(Collectors.toSet());
            assertThat(tags).contains("mb0/L0/attention", "mb1/L0/mlp", "mb0/L1/gate", "mb1/L1/dispatch",
                    "mb0/L1/dispatch-counts", "mb1/L1/experts", "mb0/L1/combine", "mb1/L1/moe-output");
            assertThat(rt.tracer().spans().stream().filter(s -> s.name().equals("allToAllV")).map(TraceSpan::tag)
                    .collect(Collectors.toSet())).allMatch(t -> t.endsWith("/dispatch") || t.endsWith("/combine"));
        }
    }
}
