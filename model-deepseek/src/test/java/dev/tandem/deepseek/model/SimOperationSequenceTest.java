package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.sim.SimSettings;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulated backend runs the same schedule objects as a real one: a dual-batch-overlap forward of a small
 * MoE model through {@link DecoderRunner} enqueues, per device and stream, exactly the same operations with the
 * same trace tags on {@code sim} as on {@code host}. Every token goes to every expert (top-k = number of
 * experts), so the host router's counts equal the sim routing model's and no data-dependent choice can differ.
 */
class SimOperationSequenceTest {
    private static final DeepSeekConfig CONFIG = DeepSeekConfig.fromJson(DeepSeekConfig.preset("tiny-v2lite").toJson()
            .replace("\"n_routed_experts\":8", "\"n_routed_experts\":2"));

    @Test
    void simAndHostIssueTheSameOperationsPerStream() {
        Map<String, List<String>> host = operations(TandemRuntime.open(RuntimeOptions.defaults().withBackend("host")
                .withDeviceCount(2)));
        Map<String, List<String>> sim = operations(TandemRuntime.open(RuntimeOptions.defaults().withBackend("sim")
                .withDeviceCount(2).withProperty(SimSettings.PROFILE, "910b2")));
        assertThat(host).isNotEmpty();
        assertThat(host.values().stream().mapToInt(List::size).sum()).isGreaterThan(200);
        assertThat(host.get("0/rank0-comm")).contains("allToAllV mb1/L2/dispatch", "allGather mb0/L1/dispatch-counts");
        assertThat(sim).isEqualTo(host);
    }

    private static Map<String, List<String>> operations(TandemRuntime rt) {
        try (rt; DecoderRunner runner = new DecoderRunner(rt, CONFIG, WeightSource.random(CONFIG, 7), 0, 3,
                DecoderRunner.Options.defaults(2).withScheduling(DecoderRunner.Scheduling.OVERLAPPED))) {
            int d = CONFIG.hiddenSize();
            List<DecoderRunner.Request> requests = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int[] positions = new int[6];
                for (int t = 0; t < positions.length; t++) {
                    positions[t] = t;
                }
                requests.add(new DecoderRunner.Request(i, ModelTestSupport.randomHidden(6, d, i), positions, i % 2));
            }
            rt.tracer().clear();
            rt.tracer().enable();
            runner.forward(requests);
            rt.tracer().disable();
            Map<String, List<String>> perStream = new TreeMap<>();
            for (TraceSpan s : rt.tracer().spans()) {
                perStream.computeIfAbsent(s.device() + "/" + s.stream(), k -> new ArrayList<>()).add(s.name() + " " + s.tag());
            }
            return perStream;
        }
    }
}
