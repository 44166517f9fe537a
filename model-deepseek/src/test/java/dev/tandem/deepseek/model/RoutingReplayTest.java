package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.sim.RoutingModel;
import dev.tandem.runtime.sim.SimRuntime;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.SimSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real run's routing, heard through {@link ExpertLoadListener}, replayed on the simulated backend
 * ({@link RoutingModel#replay}): the simulated forward routes exactly the same tokens per expert, call for call, so
 * its all-to-all-v exchanges move the real run's bytes.
 */
class RoutingReplayTest {
    private static final DeepSeekConfig CONFIG = DeepSeekConfig.preset("tiny-v2lite");

    @Test
    void aSimulatedForwardReplaysTheHostsRoutingCallForCall() {
        List<Map<Long, int[]>> host = hostRouting();
        List<List<int[]>> recorded = inCallOrder(host);
        SimRuntime sim = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(2).withTracing(true),
                SimSettings.of(HardwareProfile.load("910b2")).withRouting(RoutingModel.replay(recorded)));
        List<Map<Long, int[]>> replayed = routing(sim);

        int topK = CONFIG.numExpertsPerTok();
        for (int r = 0; r < 2; r++) {
            assertThat(host.get(r)).hasSize(replayed.get(r).size()).isNotEmpty();
            for (var call : host.get(r).entrySet()) {
                assertThat(replayed.get(r).get(call.getKey())).as("rank %d call %d", r, call.getKey())
                        .containsExactly(call.getValue());
                assertThat(Arrays.stream(call.getValue()).sum() % topK).isZero();
            }
        }
        // the host's router is uneven (random weights), so a balanced model would not have matched
        boolean uneven = host.stream().flatMap(m -> m.values().stream())
                .anyMatch(c -> Arrays.stream(c).max().orElse(0) > Arrays.stream(c).min().orElse(0) + 1);
        assertThat(uneven).isTrue();
    }

    @Test
    void aRehearsedForwardRoutesTheSameTokensInBothRuns() {
        List<List<int[]>> recorded = inCallOrder(hostRouting());
        // devices that share compute run each step twice (SimRuntime.rehearseAndRun): the routing is rewound
        List<Map<Long, int[]>> heard = List.of(new TreeMap<>(), new TreeMap<>());
        int[] firstForward = new int[2];
        try (SimRuntime sim = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(2), SimSettings.of(
                HardwareProfile.load("910b2").withAloneSpeedup(1)).withRouting(RoutingModel.replay(recorded)));
             DecoderRunner runner = new DecoderRunner(sim, CONFIG, WeightSource.random(CONFIG, 7), 0, 3,
                     DecoderRunner.Options.defaults(2).withScheduling(DecoderRunner.Scheduling.OVERLAPPED))) {
            runner.expertLoadListener((rank, layer, microBatch, sequence, counts) -> {
                synchronized (heard) {
                    heard.get(rank).put(sequence, counts);
                }
            });
            sim.rehearseAndRun(() -> runner.forward(requests(0, 2)));
            firstForward[0] = heard.get(0).size() / 2;
            firstForward[1] = heard.get(1).size() / 2;
            sim.rehearseAndRun(() -> runner.forward(requests(10, 1)));
        }
        for (int r = 0; r < 2; r++) {
            List<int[]> calls = recorded.get(r);
            List<int[]> overlapped = calls.subList(0, firstForward[r]);
            List<int[]> sequential = calls.subList(firstForward[r], calls.size());
            List<int[]> expected = new ArrayList<>();
            expected.addAll(overlapped);
            expected.addAll(overlapped);
            expected.addAll(sequential);
            expected.addAll(sequential);
            List<int[]> replayed = List.copyOf(heard.get(r).values());
            assertThat(replayed).as("rank %d", r).hasSameSizeAs(expected);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(replayed.get(i)).as("rank %d call %d", r, i).containsExactly(expected.get(i));
            }
        }
    }

    /** The routing of two host ranks (one overlapped and one sequential forward). */
    private static List<Map<Long, int[]>> hostRouting() {
        return routing(TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(2)));
    }

    /** Per rank, the calls' counts in call order, as {@link RoutingModel#replay} takes them. */
    private static List<List<int[]>> inCallOrder(List<Map<Long, int[]>> routing) {
        List<List<int[]>> out = new ArrayList<>();
        routing.forEach(calls -> out.add(List.copyOf(calls.values())));
        return out;
    }

    /** Per rank, the routing calls of one overlapped and one sequential forward, by call number. */
    private static List<Map<Long, int[]>> routing(TandemRuntime rt) {
        List<Map<Long, int[]>> calls = List.of(new TreeMap<>(), new TreeMap<>());
        try (rt; DecoderRunner runner = new DecoderRunner(rt, CONFIG, WeightSource.random(CONFIG, 7), 0, 3,
                DecoderRunner.Options.defaults(2).withScheduling(DecoderRunner.Scheduling.OVERLAPPED))) {
            runner.expertLoadListener((rank, layer, microBatch, sequence, counts) -> {
                synchronized (calls) {
                    calls.get(rank).put(sequence, counts);
                }
            });
            runner.forward(requests(0, 2));   // two micro-batches: overlapped
            runner.forward(requests(10, 1));  // one micro-batch: sequential
        }
        return calls;
    }

    private static List<DecoderRunner.Request> requests(int firstId, int microBatches) {
        List<DecoderRunner.Request> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] positions = new int[12];
            for (int t = 0; t < positions.length; t++) {
                positions[t] = t;
            }
            requests.add(new DecoderRunner.Request(firstId + i,
                    ModelTestSupport.randomHidden(12, CONFIG.hiddenSize(), firstId + i), positions, i % microBatches));
        }
        return requests;
    }
}
