package dev.tandem.jmh;

import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.deepseek.serving.ForwardResult;
import dev.tandem.deepseek.serving.ScheduleChoice;
import dev.tandem.runtime.LinkModel;
import dev.tandem.runtime.trace.OverlapReport;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One prefill forward of DeepSeek MoE layers on expert-parallel in-process ranks over an <b>emulated</b> link,
 * through {@link DeepSeekEngine}, sequentially or with micro-batch overlap. The report pairs each overlapped
 * schedule with the sequential run of the same parameters (speed-up, ideal speed-up, share of the ideal gain).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
public class LayerBenchmarks {
    /** Requests the tokens are split into: enough that every micro-batch gets whole requests. */
    private static final int REQUESTS = 8;

    @Param({"tiny-v3"})
    public String preset;

    /** Decoder layers A:B; in tiny-v3 layer 0 is dense, so 1:2 is one MoE layer and 1:3 a stack of two. */
    @Param({"1:2", "1:3"})
    public String layers;

    /** Prefill tokens over all requests. */
    @Param({"256"})
    public int tokens;

    @Param({"2"})
    public int ranks;

    /** sequential, dbo (2 micro-batches) or overlap3 (3 micro-batches). */
    @Param({"sequential", "dbo", "overlap3"})
    public String schedule;

    /** Emulated link as GBPS:MICROSECONDS (bandwidth per rank, latency per collective). */
    @Param({"0.05:50"})
    public String link;

    private DeepSeekEngine engine;
    private ScheduleChoice choice;
    private LayerBatch batch;

    /**
     * Work and device occupancy per second of wall time: tokens/s, and the seconds the devices (mean over ranks)
     * spent computing or communicating per second, i.e. the busy fractions.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Occupancy {
        public double tokens;
        public double computeBusy;
        public double commBusy;
    }

    @Setup(Level.Trial)
    public void open() {
        choice = schedule(schedule);
        String[] range = layers.split(":");
        engine = DeepSeekEngine.builder().preset(preset).randomWeights(1)
                .layers(Integer.parseInt(range[0].trim()), Integer.parseInt(range[1].trim()))
                .ranks(ranks).link(link(link)).backend("host").tracing(true).computeThreads(1)
                // The schedule is fixed, so the cost model's start-up calibration would only cost time.
                .flopsPerSecond(1e10)
                .build();
        batch = new LayerBatch(engine.config().hiddenSize(), REQUESTS, tokens, 1);
        // Fail rather than report an overlapped row that the planner quietly ran sequentially.
        ForwardResult first = forward();
        if (first.overlapped() != (choice.kind() == ScheduleChoice.Kind.OVERLAPPED)) {
            throw new IllegalStateException("schedule " + schedule + " did not run as asked: " + first.decision());
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        engine.close();
    }

    @Benchmark
    public ForwardResult forward(Occupancy occupancy) {
        ForwardResult result = forward();
        OverlapReport report = result.report();
        occupancy.tokens += tokens;
        occupancy.computeBusy += report.meanComputeNanos() / 1e9;
        occupancy.commBusy += report.meanCommNanos() / 1e9;
        return result;
    }

    /** One synchronous forward under fresh ids, whose KV caches are freed again so they do not grow. */
    private ForwardResult forward() {
        List<Request> requests = batch.requests();
        try {
            return engine.forward(requests, choice);
        } finally {
            requests.forEach(q -> engine.release(q.id()));
        }
    }

    static ScheduleChoice schedule(String name) {
        return switch (name) {
            case "sequential" -> ScheduleChoice.sequential();
            case "dbo" -> ScheduleChoice.overlapped(2);
            case "overlap3" -> ScheduleChoice.overlapped(3);
            default -> throw new IllegalArgumentException("schedule must be sequential, dbo or overlap3, got '" + name + "'");
        };
    }

    static LinkModel link(String spec) {
        String[] parts = spec.split(":");
        if (parts.length != 2) {
            throw new IllegalArgumentException("link must be GBPS:MICROSECONDS, got '" + spec + "'");
        }
        return new LinkModel(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]));
    }
}
