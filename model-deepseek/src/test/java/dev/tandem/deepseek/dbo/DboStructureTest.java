package dev.tandem.deepseek.dbo;

import dev.tandem.deepseek.model.LeakCheck;
import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.DecoderMicroBatch;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.deepseek.model.WeightSource;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.StreamRole;
import dev.tandem.runtime.schedule.Schedule;
import dev.tandem.runtime.schedule.Step;
import dev.tandem.runtime.trace.OverlapMetrics;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trace of one dual-batch-overlap forward (2 ranks, 2 micro-batches, two MoE layers, a slow emulated link)
 * against its schedule: every cross-stream dependency is an event wait on the consumer's stream, the consumer
 * never starts before its producer finished, and one micro-batch's communication really ran while the other
 * micro-batch computed.
 */
class DboStructureTest extends LeakCheck {
    static final DeepSeekConfig CONFIG = DeepSeekConfig.preset("tiny-v2lite");
    static final int RANKS = 2;
    /** Slow enough that every collective takes milliseconds (the latency alone is 3 ms). */
    static final LinkEmulation LINK = new LinkEmulation(0.05, 3_000);

    @Test
    void traceRealisesTheOverlappedSchedule() {
        try (TandemRuntime rt = DboSupport.host(RANKS, true);
             DecoderRunner runner = new DecoderRunner(rt, CONFIG, WeightSource.random(CONFIG, 11), 1, 3,
                     DecoderRunner.Options.defaults(RANKS)
                             .withCommunicatorOptions(CommunicatorOptions.defaults().withLink(LINK)))) {
            // 4 requests; DP placement puts 0 and 2 on rank 0, 1 and 3 on rank 1, so every rank has both micro-batches
            List<DecoderRunner.Request> requests = DboSupport.prefill(CONFIG, new int[]{40, 40, 40, 40},
                    new int[]{0, 0, 1, 1}, 5);
            rt.tracer().clear();
            DIRECTIONS.clear();
            float[] out = runner.forward(requests, Scheduling.OVERLAPPED);
            List<TraceSpan> spans = rt.tracer().spans();
            assertThat(out).hasSize(160 * CONFIG.hiddenSize());

            for (int r = 0; r < RANKS; r++) {
                Schedule<DecoderMicroBatch> schedule = runner.schedule(r, 2, Scheduling.OVERLAPPED);
                int rank = r;
                List<TraceSpan> mine = spans.stream().filter(s -> s.rank() == rank).toList();
                String computeName = "rank" + r + "-compute";
                String commName = "rank" + r + "-comm";
                List<TraceSpan> compute = mine.stream().filter(s -> s.stream().equals(computeName)).toList();
                List<TraceSpan> comm = mine.stream().filter(s -> s.stream().equals(commName)).toList();
                assertThat(compute).as("rank %d compute spans", r).isNotEmpty();
                assertThat(comm).as("rank %d comm spans", r).isNotEmpty();
                assertThat(compute).allMatch(s -> s.role() == StreamRole.COMPUTE);
                assertThat(comm).allMatch(s -> s.role() == StreamRole.COMM);

                checkWaits(r, schedule, compute, comm);
                checkOrder(r, schedule, compute, comm);
                checkOverlap(r, compute, comm);
            }
            assertThat(DIRECTIONS.getOrDefault(true, 0L)).as("mb0 communicating under mb1's compute, on some rank")
                    .isPositive();
            assertThat(DIRECTIONS.getOrDefault(false, 0L)).as("mb1 communicating under mb0's compute, on some rank")
                    .isPositive();
        }
    }

    /** (a) One waitEvent per cross-stream dependency on the consumer's stream; only the final join waits a stream. */
    private static void checkWaits(int r, Schedule<DecoderMicroBatch> schedule, List<TraceSpan> compute,
                                   List<TraceSpan> comm) {
        List<Step> steps = schedule.steps();
        int intoCompute = 0;
        int intoComm = 0;
        for (int i = 0; i < steps.size(); i++) {
            for (int d : schedule.dependencies(i)) {
                if (steps.get(d).stream() != steps.get(i).stream()) {
                    if (steps.get(i).stream() == StreamRole.COMPUTE) {
                        intoCompute++;
                    } else {
                        intoComm++;
                    }
                }
            }
        }
        assertThat(intoCompute).as("rank %d: compute steps waiting for comm steps in the schedule", r).isPositive();
        assertThat(intoComm).as("rank %d: comm steps waiting for compute steps in the schedule", r).isPositive();
        String computeName = "rank" + r + "-compute";
        String commName = "rank" + r + "-comm";
        assertThat(compute.stream().filter(s -> s.name().startsWith("waitEvent")).map(TraceSpan::name).toList())
                .as("rank %d: event waits on the compute stream, one per cross-stream dependency", r)
                .hasSize(intoCompute).allMatch(n -> n.equals("waitEvent(" + commName + ")"));
        assertThat(comm.stream().filter(s -> s.name().startsWith("waitEvent")).map(TraceSpan::name).toList())
                .as("rank %d: event waits on the comm stream, one per cross-stream dependency", r)
                .hasSize(intoComm).allMatch(n -> n.equals("waitEvent(" + computeName + ")"));

        assertThat(comm).as("rank %d: the comm stream never waits for a whole stream", r)
                .noneMatch(s -> s.name().startsWith("waitStream"));
        List<TraceSpan> joins = compute.stream().filter(s -> s.name().startsWith("waitStream")).toList();
        assertThat(joins).as("rank %d: exactly one stream wait on compute: the final join", r).hasSize(1);
        TraceSpan join = joins.getFirst();
        assertThat(join.name()).isEqualTo("waitStream(" + commName + ")");
        for (TraceSpan s : compute) {
            if (s.tag() != null && s.tag().startsWith("mb")) {
                assertThat(s.endNanos()).as("rank %d: %s/%s runs before the final join", r, s.tag(), s.name())
                        .isLessThanOrEqualTo(join.startNanos());
            }
        }
    }

    /** (b) A consumer's first span starts no earlier than its cross-stream producer's last span ended. */
    private static void checkOrder(int r, Schedule<DecoderMicroBatch> schedule, List<TraceSpan> compute,
                                   List<TraceSpan> comm) {
        List<Step> steps = schedule.steps();
        int checked = 0;
        int commAfterCompute = 0;
        for (int i = 0; i < steps.size(); i++) {
            Step consumer = steps.get(i);
            String consumerTag = tag(schedule, consumer);
            List<TraceSpan> consumerSpans = work(consumer.stream() == StreamRole.COMPUTE ? compute : comm, consumerTag);
            for (int d : schedule.dependencies(i)) {
                Step producer = steps.get(d);
                if (producer.stream() == consumer.stream()) {
                    continue;
                }
                String producerTag = tag(schedule, producer);
                List<TraceSpan> producerSpans = work(producer.stream() == StreamRole.COMPUTE ? compute : comm, producerTag);
                if (consumerSpans.isEmpty() || producerSpans.isEmpty()) {
                    continue;
                }
                long firstStart = consumerSpans.stream().mapToLong(TraceSpan::startNanos).min().orElseThrow();
                long lastEnd = producerSpans.stream().mapToLong(TraceSpan::endNanos).max().orElseThrow();
                assertThat(firstStart).as("rank %d: %s (%s) starts %d ns after %s (%s) ended", r, consumerTag,
                                consumer.stream(), firstStart - lastEnd, producerTag, producer.stream())
                        .isGreaterThanOrEqualTo(lastEnd);
                checked++;
                if (consumer.stream() == StreamRole.COMM) {
                    commAfterCompute++;
                }
            }
        }
        assertThat(checked).as("rank %d: cross-stream dependencies checked against the trace", r).isGreaterThan(8);
        assertThat(commAfterCompute).as("rank %d: comm stages checked against their compute producers", r)
                .isGreaterThanOrEqualTo(8);
        // spelled out for the MoE stages: routing and combine never start before gate and experts finished
        for (int mb = 0; mb < 2; mb++) {
            for (int layer = 1; layer < 3; layer++) {
                String p = "mb" + mb + "/L" + layer + "/";
                assertAfter(r, work(comm, p + "dispatch-counts"), work(compute, p + "gate"));
                assertAfter(r, work(comm, p + "dispatch"), work(compute, p + "gate"));
                assertAfter(r, work(comm, p + "combine"), work(compute, p + "experts"));
                assertAfter(r, work(compute, p + "experts"), work(comm, p + "dispatch"));
                assertAfter(r, work(compute, p + "moe-output"), work(comm, p + "combine"));
            }
        }
    }

    private static void assertAfter(int r, List<TraceSpan> later, List<TraceSpan> earlier) {
        assertThat(later).as("rank %d: spans of a stage", r).isNotEmpty();
        assertThat(earlier).as("rank %d: spans of a stage", r).isNotEmpty();
        long start = later.stream().mapToLong(TraceSpan::startNanos).min().orElseThrow();
        long end = earlier.stream().mapToLong(TraceSpan::endNanos).max().orElseThrow();
        assertThat(start).as("rank %d: %s starts after %s ended", r, later.getFirst().tag(), earlier.getFirst().tag())
                .isGreaterThanOrEqualTo(end);
    }

    /** (c) Both micro-batches on both streams, and one's communication overlapped the other's compute. */
    private static void checkOverlap(int r, List<TraceSpan> compute, List<TraceSpan> comm) {
        for (List<TraceSpan> lane : List.of(compute, comm)) {
            Set<String> mbs = lane.stream().filter(s -> s.tag() != null && s.tag().startsWith("mb"))
                    .map(s -> s.tag().substring(0, s.tag().indexOf('/'))).collect(Collectors.toSet());
            assertThat(mbs).as("rank %d: micro-batches seen on %s", r, lane.getFirst().stream())
                    .containsExactlyInAnyOrder("mb0", "mb1");
        }
        List<TraceSpan> commWork = comm.stream().filter(Predicate.not(TraceSpan::isWait))
                .filter(s -> s.tag() != null && s.tag().startsWith("mb")).toList();
        List<TraceSpan> computeWork = compute.stream().filter(Predicate.not(TraceSpan::isWait))
                .filter(s -> !OverlapMetrics.isCommunication(s))
                .filter(s -> s.tag() != null && s.tag().startsWith("mb")).toList();
        List<String> overlaps = new ArrayList<>();
        for (TraceSpan c : commWork) {
            for (TraceSpan k : computeWork) {
                boolean otherMicroBatch = !mb(c).equals(mb(k));
                if (otherMicroBatch && Math.max(c.startNanos(), k.startNanos()) < Math.min(c.endNanos(), k.endNanos())) {
                    overlaps.add(c.tag() + "/" + c.name() + " || " + k.tag() + "/" + k.name());
                }
            }
        }
        assertThat(overlaps).as("rank %d: comm spans of one micro-batch overlapping compute spans of the other", r)
                .isNotEmpty();
        // Directions are counted over all ranks (see the caller): on one rank the host may finish a tiny
        // micro-batch's compute before the other's communication starts, which is timing, not a schedule fault.
        overlaps.forEach(o -> DIRECTIONS.merge(o.startsWith("mb0"), 1L, Long::sum));
    }

    /** Overlaps seen per direction (true: mb0 communicates under mb1's compute), over all ranks. */
    private static final Map<Boolean, Long> DIRECTIONS = new ConcurrentHashMap<>();

    private static String mb(TraceSpan s) {
        return s.tag().substring(0, s.tag().indexOf('/'));
    }

    private static String tag(Schedule<DecoderMicroBatch> schedule, Step step) {
        return "mb" + step.microBatch() + "/" + schedule.program().stage(step.stage()).name();
    }

    /** Non-wait spans of one stage of one micro-batch. */
    private static List<TraceSpan> work(List<TraceSpan> lane, String tag) {
        return lane.stream().filter(s -> tag.equals(s.tag()) && !s.isWait()).toList();
    }
}
