package dev.tandem.runtime.schedule;

import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.StreamRole;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchedulesTest {

    /** A DeepSeek MoE layer's stages with their real data flow, doing nothing but sleeping. */
    static List<Stage<Object>> moeLayers(int layers, long sleepMicros) {
        List<Stage<Object>> stages = new ArrayList<>();
        Stage.StageAction<Object> work = (mb, stream) -> stream.hostCallback(() -> sleepMicros(sleepMicros));
        for (int l = 0; l < layers; l++) {
            String in = l == 0 ? "hidden" : "hidden" + l;
            String out = "hidden" + (l + 1);
            stages.add(Stage.compute("L" + l + "/attention", Set.of(in, "routed" + (l - 1), "shared" + (l - 1)),
                    Set.of("h" + l, "x" + l), work));
            stages.add(Stage.compute("L" + l + "/gate", Set.of("x" + l), Set.of("topk" + l), work));
            stages.add(Stage.comm("L" + l + "/dispatch", Set.of("x" + l, "topk" + l), Set.of("recv" + l), true, work));
            stages.add(Stage.compute("L" + l + "/experts", Set.of("recv" + l), Set.of("expert" + l), work));
            stages.add(Stage.comm("L" + l + "/combine", Set.of("expert" + l), Set.of("routed" + l, out), false, work));
            stages.add(Stage.compute("L" + l + "/shared", Set.of("x" + l), Set.of("shared" + l), work));
        }
        return stages;
    }

    private static void sleepMicros(long micros) {
        long until = System.nanoTime() + micros * 1000;
        while (System.nanoTime() < until) {
            LockSupport.parkNanos(until - System.nanoTime());
        }
    }

    @Test
    void dboReproducesDeepSeekPrefillOrder() {
        StageProgram<Object> program = new StageProgram<>(moeLayers(3, 0));
        Schedule<Object> dbo = Schedules.overlapped(program, 2);
        String streams = dbo.describeStreams();
        // steady state (layer 1): profile-data's order with mb0 leading
        assertThat(streams).contains("L1/attention[mb0] · L1/gate[mb0] · L0/shared[mb1] · L1/attention[mb1] · L1/gate[mb1] · "
                + "L1/experts[mb0] · L1/experts[mb1] · L1/shared[mb0]");
        assertThat(streams).contains("L0/combine[mb1] · L1/dispatch[mb0] · L1/dispatch[mb1] · L1/combine[mb0]");
        assertThat(dbo.usesCommStream()).isTrue();
        Schedule<Object> seq = Schedules.sequential(program, 1);
        assertThat(seq.usesCommStream()).isFalse();
        assertThat(Schedules.overlapped(program, 1).name()).isEqualTo("sequential");
        assertThatThrownBy(() -> Schedules.overlapped(program, 0)).isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void hostBlockingStagesAreIssuedAfterTheOtherMicroBatchsIndependentCompute() {
        StageProgram<Object> program = new StageProgram<>(moeLayers(3, 0));
        for (int n = 2; n <= 4; n++) {
            Schedule<Object> schedule = Schedules.overlapped(program, n);
            List<Step> steps = schedule.steps();
            for (int i = 0; i < steps.size(); i++) {
                Step blocking = steps.get(i);
                if (!program.stage(blocking.stage()).blocksHost()) {
                    continue;
                }
                for (int j = i + 1; j < steps.size(); j++) {
                    Step later = steps.get(j);
                    boolean independentCompute = later.stream() == StreamRole.COMPUTE
                            && later.microBatch() != blocking.microBatch() && later.slot() <= blocking.slot();
                    assertThat(independentCompute).as("%s issued after host-blocking %s", later, blocking).isFalse();
                }
            }
        }
    }

    @Test
    void predictedOverlapApproachesMaxOfComputeAndComm() {
        StageProgram<Object> program = new StageProgram<>(moeLayers(4, 0));
        Schedule<Object> dbo = Schedules.overlapped(program, 2);
        Schedule<Object> seq = Schedules.sequential(program, 2);
        var costs = (ToLongFunction<Step>) s -> 100;
        var p = ScheduleSimulator.predict(dbo, costs);
        var q = ScheduleSimulator.predict(seq, costs);
        assertThat(q.makespanNanos()).isEqualTo(q.computeNanos() + q.commNanos());
        assertThat(p.makespanNanos()).isLessThan(q.makespanNanos());
        assertThat(p.makespanNanos()).isLessThanOrEqualTo(p.computeNanos() + 2 * 200);   // only ramp-up exposed
    }

    @Test
    void aScheduleThatBreaksSharedDependenciesIsRejected() {
        Stage.StageAction<Object> noop = (mb, s) -> { };
        // micro-batch 1's first stage reads what micro-batch 0's last stage writes (a shared value):
        List<Stage<Object>> stages = List.of(
                Stage.compute("a", Set.of("shared:kv"), Set.of("x"), noop),
                Stage.comm("b", Set.of("x"), Set.of("y"), false, noop),
                Stage.compute("c", Set.of("y"), Set.of("shared:kv"), noop));
        StageProgram<Object> program = new StageProgram<>(stages);
        assertThatThrownBy(() -> Schedules.overlapped(program, 2)).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("depends on");
        assertThatThrownBy(() -> new StageProgram<>(List.of(stages.get(0), stages.get(0))))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("twice");
    }

    @Test
    void issuedProgramOrdersEveryDependencyAcrossStreams() {
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withTracing(true))) {
            Device dev = rt.device(0);
            Stream compute = dev.createStream(StreamOptions.compute("compute"));
            Stream comm = dev.createStream(StreamOptions.comm("comm"));
            StageProgram<Object> program = new StageProgram<>(moeLayers(2, 300));
            Schedule<Object> dbo = Schedules.overlapped(program, 2);
            try (ScheduleRunner runner = new ScheduleRunner(compute, comm)) {
                runner.run(dbo, List.of(new Object(), new Object()));
                compute.synchronize();
            }
            List<TraceSpan> spans = rt.tracer().spans();
            Map<String, TraceSpan> byTag = new HashMap<>();
            for (TraceSpan s : spans) {
                if (s.name().equals("hostCallback")) {
                    byTag.put(s.tag(), s);
                }
            }
            assertThat(byTag).hasSize(program.size() * 2);
            for (int i = 0; i < dbo.steps().size(); i++) {
                Step step = dbo.steps().get(i);
                TraceSpan span = byTag.get("mb" + step.microBatch() + "/" + program.stage(step.stage()).name());
                assertThat(span.role()).isEqualTo(step.stream());
                for (int d : dbo.dependencies(i)) {
                    Step dep = dbo.steps().get(d);
                    TraceSpan before = byTag.get("mb" + dep.microBatch() + "/" + program.stage(dep.stage()).name());
                    assertThat(span.startNanos()).as("%s after %s", span.tag(), before.tag())
                            .isGreaterThanOrEqualTo(before.endNanos());
                }
            }
            // cross-stream ordering came only from event waits on the consumer's stream
            assertThat(spans).filteredOn(s -> s.role() == StreamRole.COMM && s.name().startsWith("waitEvent"))
                    .isNotEmpty();
            assertThat(spans).noneMatch(s -> s.name().startsWith("waitStream") && s.role() == StreamRole.COMM);
        }
    }

    /** Random programs of real kernels and collectives on 2 ranks: overlapped equals sequential, bitwise. */
    @Test
    void randomProgramsGiveIdenticalResultsUnderEverySchedule() {
        Random random = new Random(42);
        for (int trial = 0; trial < 30; trial++) {
            int microBatches = 1 + random.nextInt(4);
            int length = 3 + random.nextInt(10);
            long seed = random.nextLong();
            float[][] sequential = runRandomProgram(seed, length, microBatches, false);
            float[][] overlapped = runRandomProgram(seed, length, microBatches, true);
            for (int r = 0; r < sequential.length; r++) {
                assertThat(overlapped[r]).as("trial %d seed %d rank %d", trial, seed, r).containsExactly(sequential[r]);
            }
        }
    }

    /** Per micro-batch: 4 value slots of 8 floats; stages transform slots with kernels or all-reduce them. */
    private static float[][] runRandomProgram(long seed, int length, int microBatches, boolean overlap) {
        int ranks = 2;
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withDeviceCount(ranks).withComputeThreads(1))) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults());
            Random random = new Random(seed);
            record Slots(Device dev, Communicator comm, Tensor[] slot) {
            }
            List<Stage<Slots>> stages = new ArrayList<>();
            for (int i = 0; i < length; i++) {
                int a = random.nextInt(4);
                int b = random.nextInt(4);
                int out = random.nextInt(4);
                if (random.nextInt(3) == 0) {
                    stages.add(Stage.comm("s" + i + "/allReduce", Set.of("v" + a), Set.of("v" + out), false,
                            (mb, s) -> {
                                mb.dev().kernels().copy(s, mb.slot()[a], mb.slot()[out]);
                                mb.comm().allReduce(s, mb.slot()[out], mb.slot()[out], ReduceOp.SUM);
                            }));
                } else {
                    float alpha = random.nextInt(5) - 2;
                    stages.add(Stage.compute("s" + i + "/addScaled", new HashSet<>(List.of("v" + a, "v" + b)), Set.of("v" + out),
                            (mb, s) -> mb.dev().kernels().addScaled(s, mb.slot()[a], mb.slot()[b], alpha, mb.slot()[out])));
                }
            }
            StageProgram<Slots> program = new StageProgram<>(stages);
            Schedule<Slots> schedule = overlap ? Schedules.overlapped(program, microBatches)
                    : Schedules.sequential(program, microBatches);
            List<Thread> threads = new ArrayList<>();
            float[][] results = new float[ranks][];
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                threads.add(Thread.ofPlatform().start(() -> {
                    Device dev = rt.device(rank);
                    Stream compute = dev.createStream(StreamOptions.compute("compute"));
                    Stream comm = dev.createStream(StreamOptions.comm("comm"));
                    List<Slots> states = new ArrayList<>();
                    Tensor all = Tensor.allocate(dev, compute, DType.F32, microBatches * 4L * 8);
                    float[] init = new float[microBatches * 32];
                    Random values = new Random(seed * 31 + rank);
                    for (int i = 0; i < init.length; i++) {
                        init[i] = values.nextInt(16) - 8;
                    }
                    compute.upload(init, all);
                    comm.waitStream(compute);
                    for (int m = 0; m < microBatches; m++) {
                        Tensor[] slot = new Tensor[4];
                        for (int k = 0; k < 4; k++) {
                            slot[k] = all.slice(0, (m * 4L + k) * 8, (m * 4L + k + 1) * 8);
                        }
                        states.add(new Slots(dev, comms.get(rank), slot));
                    }
                    try (ScheduleRunner runner = new ScheduleRunner(compute, comm)) {
                        runner.run(schedule, states);
                        results[rank] = compute.readFloats(all);
                    }
                }));
            }
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return results;
        }
    }
}
