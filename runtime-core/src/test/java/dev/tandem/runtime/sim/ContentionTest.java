package dev.tandem.runtime.sim;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compute slowed by communication on the same device, inside virtual time, on the round profile with
 * {@code comm.slowdown} 0.5: a kernel progresses at 2/3 speed while its device communicates. An add of a
 * [1000,1000] tensor costs 6000 ns; an all-gather of one (2 MB to one peer) 30 000 ns; an all-reduce of 4 floats
 * 10 000 ns (latency).
 */
class ContentionTest {
    private static final long ADD = 6000;
    private static final long GATHER = 30_000;
    private static final long REDUCE = 10_000;

    private static SimRuntime open(int devices, double slowdown) {
        return new SimRuntime(RuntimeOptions.defaults().withDeviceCount(devices).withTracing(true),
                SimSettings.of(TestProfiles.round(0, 0, slowdown)));
    }

    private static List<TraceSpan> on(SimRuntime rt, int device, String stream, String name) {
        return rt.tracer().spans().stream()
                .filter(t -> t.device() == device && t.stream().equals(stream) && t.name().equals(name)).toList();
    }

    /** Devices 0 and 1 gather a [1000,1000] tensor on their comm streams (both arrive at {@code at}). */
    private static void gather(SimRuntime rt, List<Communicator> comms, List<Stream> commStreams) {
        for (int r = 0; r < 2; r++) {
            Device d = rt.device(r);
            Stream s = commStreams.get(r);
            Tensor x = Tensor.allocate(d, s, DType.F32, 1000, 1000);
            Tensor g = Tensor.allocate(d, s, DType.F32, 2000, 1000);
            comms.get(r).allGather(s, x, g);
        }
    }

    private static List<Stream> commStreams(SimRuntime rt, int n) {
        List<Stream> out = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            out.add(rt.device(r).createStream(StreamOptions.comm("comm")));
        }
        return out;
    }

    @Test
    void aKernelInsideACollectiveOfItsDeviceTakesOneAndAHalfTimesItsCost() {
        try (SimRuntime rt = open(3, 0.5)) {
            List<Communicator> comms = rt.createCommunicators(List.of(rt.device(0), rt.device(1)));
            List<Stream> comm = commStreams(rt, 2);
            Stream c0 = rt.device(0).createStream("compute");
            Stream c2 = rt.device(2).createStream("compute");
            Tensor x0 = Tensor.allocate(rt.device(0), c0, DType.F32, 1000, 1000);
            Tensor x2 = Tensor.allocate(rt.device(2), c2, DType.F32, 1000, 1000);
            rt.device(0).kernels().add(c0, x0, x0, x0);
            rt.device(2).kernels().add(c2, x2, x2, x2);    // another device: no communication there
            gather(rt, comms, comm);
            rt.device(0).synchronize();
            rt.device(1).synchronize();
            rt.device(2).synchronize();
            assertThat(on(rt, 0, "comm", "allGather").getFirst().endNanos()).isEqualTo(GATHER);
            TraceSpan add = on(rt, 0, "compute", "add").getFirst();
            assertThat(add.startNanos()).isZero();
            assertThat(add.endNanos()).isEqualTo(ADD * 3 / 2);
            assertThat(rt.contentionNanos(0)).isEqualTo(ADD / 2);
            assertThat(on(rt, 2, "compute", "add").getFirst().endNanos()).isEqualTo(ADD);
            assertThat(rt.contentionNanos(2)).isZero();
        }
    }

    @Test
    void aKernelThatOverlapsTheStartOrTheEndOfACollectiveIsSlowedOnlyDuringTheOverlap() {
        try (SimRuntime rt = open(2, 0.5)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> comm = commStreams(rt, 2);
            Device d0 = rt.device(0);
            Stream c0 = d0.createStream("compute");
            Tensor half = Tensor.allocate(d0, comm.getFirst(), DType.F32, 500, 1000);
            Tensor big = Tensor.allocate(d0, c0, DType.F32, 4000, 1000);
            Tensor x = Tensor.allocate(d0, c0, DType.F32, 1000, 1000);
            // comm stream: 3000 ns of non-communicating work, then the all-gather from 3000 to 33 000
            d0.kernels().add(comm.getFirst(), half, half, half);
            gather(rt, comms, comm);
            // compute stream: an add from 0 runs 3000 ns at full speed, the other 3000 at 2/3 speed
            d0.kernels().add(c0, x, x, x);
            // then a 24 000 ns add from 7500 to past the all-gather's end (33 000): 25 500 ns at 2/3 speed
            // (17 000 of work), the remaining 7000 at full speed
            d0.kernels().add(c0, big, big, big);
            // an all-reduce on the compute stream after them cannot overlap them
            Tensor small = Tensor.allocate(d0, c0, DType.F32, 4);
            Tensor small1 = Tensor.allocate(rt.device(1), comm.get(1), DType.F32, 4);
            comms.get(0).allReduce(c0, small, small, ReduceOp.SUM);
            comms.get(1).allReduce(comm.get(1), small1, small1, ReduceOp.SUM);
            rt.device(0).synchronize();
            rt.device(1).synchronize();
            assertThat(on(rt, 0, "comm", "allGather").getFirst().startNanos()).isEqualTo(ADD / 2);
            List<TraceSpan> adds = on(rt, 0, "compute", "add");
            assertThat(adds.get(0).endNanos()).isEqualTo(7500);
            assertThat(adds.get(1).endNanos()).isEqualTo(7500 + 25_500 + 7000);
            // the other rank's all-reduce ends after the slowed kernels of rank 0 too
            assertThat(on(rt, 1, "comm", "allReduce").getFirst().endNanos()).isEqualTo(40_000 + REDUCE);
            // the half-size add on the comm stream ran before the all-gather: not slowed
            assertThat(on(rt, 0, "comm", "add").getFirst().endNanos()).isEqualTo(ADD / 2);
            assertThat(rt.contentionNanos(0)).isEqualTo(1500 + 8500);
        }
    }

    @Test
    void aCollectiveOnTheKernelsOwnStreamDoesNotSlowIt() {
        try (SimRuntime rt = open(2, 0.5)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> comm = commStreams(rt, 2);
            Device d0 = rt.device(0);
            Tensor x = Tensor.allocate(d0, comm.getFirst(), DType.F32, 1000, 1000);
            d0.kernels().add(comm.getFirst(), x, x, x);    // before the all-gather on the same stream
            gather(rt, comms, comm);
            d0.kernels().add(comm.getFirst(), x, x, x);    // after it
            rt.device(0).synchronize();
            rt.device(1).synchronize();
            List<TraceSpan> adds = on(rt, 0, "comm", "add");
            assertThat(adds).extracting(TraceSpan::startNanos, TraceSpan::endNanos).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(0L, ADD),
                    org.assertj.core.groups.Tuple.tuple(ADD + GATHER, 2 * ADD + GATHER));
            assertThat(rt.contentionNanos(0)).isZero();
        }
    }

    @Test
    void anEventRecordedAfterASlowedKernelCarriesItsLaterEnd() {
        try (SimRuntime rt = open(2, 0.5)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> comm = commStreams(rt, 2);
            Device d0 = rt.device(0);
            Stream c0 = d0.createStream("compute");
            Stream other = d0.createStream("other");
            Tensor x = Tensor.allocate(d0, c0, DType.F32, 1000, 1000);
            Event done = d0.createEvent();
            gather(rt, comms, comm);
            d0.kernels().add(c0, x, x, x);
            c0.record(done);
            other.waitEvent(done);
            Tensor y = Tensor.allocate(d0, other, DType.F32, 4);
            d0.kernels().add(other, y, y, y);
            done.synchronize();
            rt.device(0).synchronize();
            rt.device(1).synchronize();
            assertThat(on(rt, 0, "other", "add").getFirst().startNanos()).isEqualTo(ADD * 3 / 2);
            done.close();
        }
    }

    @Test
    void withoutSlowDownTheTimesAreTheUncontendedOnes() {
        try (SimRuntime rt = open(2, 0)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> comm = commStreams(rt, 2);
            Device d0 = rt.device(0);
            Stream c0 = d0.createStream("compute");
            Tensor x = Tensor.allocate(d0, c0, DType.F32, 1000, 1000);
            gather(rt, comms, comm);
            d0.kernels().add(c0, x, x, x);
            d0.kernels().add(c0, x, x, x);
            rt.device(0).synchronize();
            rt.device(1).synchronize();
            assertThat(on(rt, 0, "compute", "add")).extracting(TraceSpan::endNanos).containsExactly(ADD, 2 * ADD);
            assertThat(rt.contentionNanos(0)).isZero();
        }
    }

    @Test
    @Timeout(60)
    void aHostThatPollsAnEventOfADeferredKernelSeesItEnd() {
        try (SimRuntime rt = open(2, 0.5)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> comm = commStreams(rt, 2);
            Device d0 = rt.device(0);
            Stream c0 = d0.createStream("compute");
            Tensor x = Tensor.allocate(d0, c0, DType.F32, 1000, 1000);
            Event done = d0.createEvent();
            gather(rt, comms, comm);
            d0.kernels().add(c0, x, x, x);
            c0.record(done);
            while (!done.isDone()) {
                Thread.onSpinWait();
            }
            assertThat(c0.isIdle()).isTrue();
            // the host observed the end: what it issues now starts after it
            d0.kernels().add(c0, x, x, x);
            c0.synchronize();
            assertThat(on(rt, 0, "compute", "add")).extracting(TraceSpan::endNanos)
                    .containsExactly(ADD * 3 / 2, ADD * 3 / 2 + ADD * 3 / 2);
            rt.device(1).synchronize();
            done.close();
        }
    }

    @Test
    @Timeout(60)
    void ranksWhoseThreadsEndWithoutSynchronizingStillFinishWithTheContendedTimes() throws InterruptedException {
        try (SimRuntime rt = open(2, 0.5)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> comm = commStreams(rt, 2);
            List<Stream> compute = List.of(rt.device(0).createStream("compute"), rt.device(1).createStream("compute"));
            Thread[] threads = new Thread[2];
            for (int r = 0; r < 2; r++) {
                int rank = r;
                threads[r] = Thread.ofVirtual().start(() -> {
                    Device d = rt.device(rank);
                    Tensor x = Tensor.allocate(d, comm.get(rank), DType.F32, 1000, 1000);
                    Tensor g = Tensor.allocate(d, comm.get(rank), DType.F32, 2000, 1000);
                    comms.get(rank).allGather(comm.get(rank), x, g);
                    Tensor y = Tensor.allocate(d, compute.get(rank), DType.F32, 1000, 1000);
                    d.kernels().add(compute.get(rank), y, y, y);
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            rt.device(0).synchronize();
            rt.device(1).synchronize();
            for (int r = 0; r < 2; r++) {
                assertThat(on(rt, r, "compute", "add").getFirst().endNanos()).isEqualTo(ADD * 3 / 2);
            }
        }
    }

    /**
     * Outside the assumptions: rank 1's thread issues a kernel and the all-gather behind it, then blocks outside the
     * engine (on a latch) without ever waiting on virtual time, so nothing tells the engine rank 1 issues nothing
     * more. Rank 0's host waits for a kernel that overlaps the all-gather. After a few seconds of no activity the
     * earliest deferred kernel ends with what is known: no hang.
     */
    @Test
    @Timeout(60)
    void aThreadBlockedOutsideTheEngineCannotHangTheOthers() throws InterruptedException {
        try (SimRuntime rt = open(2, 0.5)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> comm = commStreams(rt, 2);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch issued = new java.util.concurrent.CountDownLatch(1);
            Thread rank1 = Thread.ofVirtual().start(() -> {
                Device d = rt.device(1);
                Stream s = comm.get(1);
                Tensor x = Tensor.allocate(d, s, DType.F32, 1000, 1000);
                Tensor g = Tensor.allocate(d, s, DType.F32, 2000, 1000);
                d.kernels().add(s, x, x, x);
                comms.get(1).allGather(s, x, g);
                issued.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            issued.await();
            Device d0 = rt.device(0);
            Stream c0 = d0.createStream("compute");
            Tensor x = Tensor.allocate(d0, comm.getFirst(), DType.F32, 1000, 1000);
            Tensor g = Tensor.allocate(d0, comm.getFirst(), DType.F32, 2000, 1000);
            comms.getFirst().allGather(comm.getFirst(), x, g);
            Tensor big = Tensor.allocate(d0, c0, DType.F32, 8000, 1000);
            d0.kernels().add(c0, big, big, big);     // 48 000 ns of work
            c0.synchronize();
            release.countDown();
            rank1.join();
            rt.device(1).synchronize();
            // rank 1 arrives after its add, at 6000: the all-gather runs [0, 36 000] on rank 0, where the add does
            // 24 000 of its work in that time and the rest at full speed
            assertThat(on(rt, 1, "comm", "allGather").getFirst().endNanos()).isEqualTo(ADD + GATHER);
            assertThat(on(rt, 0, "compute", "add").getFirst().endNanos()).isEqualTo(36_000 + 24_000);
        }
    }

    /**
     * Four ranks, each on its own virtual thread, run a few dual-batch-overlap-like layers: attention of one
     * micro-batch on the compute stream while the other's all-to-all runs on the comm stream, with a blocking count
     * download per layer and rank-dependent sizes. Every run gives the same timeline, whatever order the threads
     * start in.
     */
    @Test
    @Timeout(120)
    void theSameMultiRankProgramGivesTheSameTimelineEveryRun() throws InterruptedException {
        List<String> first = null;
        for (int run = 0; run < 6; run++) {
            List<String> timeline = dboLikeTimeline(run);
            if (first == null) {
                first = timeline;
                assertThat(timeline).anyMatch(t -> t.startsWith("stretch") && !t.endsWith(" 0"));
            } else {
                assertThat(timeline).containsExactlyElementsOf(first);
            }
        }
    }

    /** Rank threads start in a different real-time order in each run (the timeline must not care). */
    private static List<String> dboLikeTimeline(int run) throws InterruptedException {
        int ranks = 4;
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(ranks).withTracing(true),
                SimSettings.of(TestProfiles.round(1, 0, 0.5)))) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            Thread[] threads = new Thread[ranks];
            Throwable[] failures = new Throwable[ranks];
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                threads[r] = Thread.ofVirtual().start(() -> {
                    try {
                        Thread.sleep(10L * ((rank + run) % ranks));
                        runRank(rt.device(rank), comms.get(rank), rank);
                    } catch (Throwable t) {
                        failures[rank] = t;
                    }
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            for (Throwable t : failures) {
                if (t != null) {
                    throw new AssertionError(t);
                }
            }
            List<String> out = new ArrayList<>();
            rt.tracer().spans().stream()
                    .sorted(Comparator.comparingInt(TraceSpan::device).thenComparing(TraceSpan::stream)
                            .thenComparingLong(TraceSpan::startNanos).thenComparingLong(TraceSpan::endNanos)
                            .thenComparing(TraceSpan::name))
                    .forEach(s -> out.add(s.device() + " " + s.stream() + " " + s.name() + " " + s.startNanos() + " "
                            + s.endNanos()));
            for (int r = 0; r < ranks; r++) {
                out.add("stretch " + r + " " + rt.contentionNanos(r));
            }
            return out;
        }
    }

    private static void runRank(Device dev, Communicator comm, int rank) {
        Stream compute = dev.createStream("compute");
        Stream commStream = dev.createStream(StreamOptions.comm("comm"));
        int rows = 4000 + 1000 * rank;      // attention longer than an all-to-all: kernels outlast it
        Tensor[] mb = {Tensor.allocate(dev, compute, DType.F32, rows, 1000),
                Tensor.allocate(dev, compute, DType.F32, rows + 500, 1000)};
        Tensor a2aIn = Tensor.allocate(dev, commStream, DType.F32, 4 * 250, 1000);
        Tensor a2aOut = Tensor.allocate(dev, commStream, DType.F32, 4 * 250, 1000);
        Tensor counts = Tensor.allocate(dev, commStream, DType.I32, 4);
        Tensor allCounts = Tensor.allocate(dev, commStream, DType.I32, 16);
        Event[] attn = {dev.createEvent(), dev.createEvent()};
        Event[] sent = {dev.createEvent(), dev.createEvent()};
        Event counted = dev.createEvent();
        int[] host = new int[16];
        for (int layer = 0; layer < 3; layer++) {
            for (int m = 0; m < 2; m++) {
                dev.kernels().add(compute, mb[m], mb[m], mb[m]);           // attention of micro-batch m
                compute.record(attn[m]);
                commStream.waitEvent(attn[m]);
                comm.allGather(commStream, counts, allCounts);             // the count exchange
                commStream.download(allCounts, host);
                commStream.record(counted);
                counted.synchronize();                                     // the host waits for the counts
                comm.allToAll(commStream, a2aIn, a2aOut);                  // dispatch of micro-batch m
                commStream.record(sent[m]);
            }
            for (int m = 0; m < 2; m++) {
                compute.waitEvent(sent[m]);
                dev.kernels().add(compute, mb[m], mb[m], mb[m]);           // experts of micro-batch m
            }
        }
        compute.synchronize();
        commStream.synchronize();
        for (Event e : attn) {
            e.close();
        }
        for (Event e : sent) {
            e.close();
        }
        counted.close();
    }
}
