package dev.tandem.runtime.sim;

import dev.tandem.runtime.CollectiveTimeoutException;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.EventOptions;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.OverlapReport;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Virtual time follows stream and event semantics: in-order streams, concurrent streams, waits on the record
 * captured at wait time, never-recorded events, host clocks and collectives. An add of a [1000,1000] tensor
 * costs 6000 ns on the round profile.
 */
class VirtualTimeTest {
    private static final long ADD = 6000;

    private static SimRuntime open(int devices, double launchMicros) {
        return new SimRuntime(RuntimeOptions.defaults().withDeviceCount(devices).withTracing(true),
                SimSettings.of(TestProfiles.round(launchMicros, 0)));
    }

    private static Tensor big(Device dev, Stream s) {
        return Tensor.allocate(dev, s, DType.F32, 1000, 1000);
    }

    private static List<TraceSpan> on(SimRuntime rt, String stream, String name) {
        return rt.tracer().spans().stream().filter(t -> t.stream().equals(stream) && t.name().equals(name)).toList();
    }

    @Test
    void oneStreamRunsInOrderAndTwoStreamsRunConcurrently() {
        try (SimRuntime rt = open(1, 0)) {
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Stream b = dev.createStream("b");
            Tensor x = big(dev, a);
            dev.kernels().add(a, x, x, x);
            dev.kernels().add(a, x, x, x);
            dev.kernels().add(b, x, x, x);
            dev.synchronize();
            assertThat(on(rt, "a", "add")).extracting(TraceSpan::startNanos, TraceSpan::endNanos)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, ADD), org.assertj.core.groups.Tuple.tuple(ADD, 2 * ADD));
            assertThat(on(rt, "b", "add").getFirst().startNanos()).isZero();
        }
    }

    @Test
    void waitEventOrdersTheWaiterAfterTheRecordedWork() {
        try (SimRuntime rt = open(1, 0)) {
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Stream b = dev.createStream(StreamOptions.comm("b"));
            Tensor x = big(dev, a);
            Event e = dev.createEvent();
            dev.kernels().add(a, x, x, x);
            a.record(e);
            dev.kernels().add(a, x, x, x);    // after the record: not waited for
            b.waitEvent(e);
            dev.kernels().add(b, x, x, x);
            dev.synchronize();
            assertThat(on(rt, "b", "add").getFirst().startNanos()).isEqualTo(ADD);
            assertThat(on(rt, "b", "waitEvent(a)")).hasSize(1);
            e.close();
        }
    }

    @Test
    void aWaitUsesTheRecordCapturedWhenItWasEnqueued() {
        try (SimRuntime rt = open(1, 0)) {
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Stream b = dev.createStream("b");
            Tensor x = big(dev, a);
            Event e = dev.createEvent();
            dev.kernels().add(a, x, x, x);
            a.record(e);
            b.waitEvent(e);
            dev.kernels().add(a, x, x, x);
            a.record(e);                       // re-record: the earlier wait keeps the first capture
            dev.kernels().add(b, x, x, x);
            dev.synchronize();
            assertThat(on(rt, "b", "add").getFirst().startNanos()).isEqualTo(ADD);
            e.close();
        }
    }

    @Test
    void waitingOnANeverRecordedEventDoesNothingAndWaitStreamJoinsEverything() {
        try (SimRuntime rt = open(1, 0)) {
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Stream b = dev.createStream("b");
            Stream c = dev.createStream("c");
            Tensor x = big(dev, a);
            Event never = dev.createEvent();
            dev.kernels().add(a, x, x, x);
            dev.kernels().add(a, x, x, x);
            b.waitEvent(never);
            dev.kernels().add(b, x, x, x);
            c.waitStream(a);
            dev.kernels().add(c, x, x, x);
            dev.synchronize();
            assertThat(on(rt, "b", "add").getFirst().startNanos()).isZero();
            assertThat(on(rt, "c", "add").getFirst().startNanos()).isEqualTo(2 * ADD);
            never.close();
        }
    }

    @Test
    void timingEventsMeasureVirtualTimeAndHostBlockingAdvancesTheHostClock() {
        try (SimRuntime rt = open(1, 1)) {       // 1 us launch overhead
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Tensor x = big(dev, a);
            Event start = dev.createEvent(EventOptions.TIMING);
            Event end = dev.createEvent(EventOptions.TIMING);
            a.record(start);
            dev.kernels().add(a, x, x, x);      // issued at 1000 ns (one launch), ends 7000
            a.record(end);
            end.synchronize();                  // host now at 7000
            dev.kernels().add(a, x, x, x);      // issued at 8000: the host was blocked until 7000
            a.synchronize();
            assertThat(end.elapsedMillis(start)).isEqualTo(7000 / 1e6f);
            assertThat(on(rt, "a", "add")).extracting(TraceSpan::startNanos).containsExactly(1000L, 8000L);
            start.close();
            end.close();
        }
    }

    /**
     * host.wake.us: a host that really blocked while the device had work on other streams issues again only after
     * waking up; one that waited for the device's only busy stream, or did not wait, pays nothing.
     */
    @Test
    void aHostThatBlockedWhileTheDeviceWorkedElsewhereWakesUpBeforeItIssuesAgain() {
        HardwareProfile waking = waking(TestProfiles.round(1, 0), 50, 0);
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1).withTracing(true),
                SimSettings.of(waking))) {
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Stream b = dev.createStream("b");
            Tensor x = big(dev, a);
            Tensor y = big(dev, b);
            dev.kernels().add(a, x, x, x);      // issued at 1000 ns, ends 7000
            a.synchronize();                    // a was the only stream with work: host at 7000, no wake-up
            a.synchronize();                    // nothing left to wait for
            dev.kernels().add(a, x, x, x);      // issued at 8000, ends 14000
            dev.kernels().add(b, y, y, y);      // issued at 9000, ends 15000
            a.synchronize();                    // blocked until 14000 while b worked: wakes a draw of mean 50 us later
            dev.kernels().add(a, x, x, x);      // issued 1000 after that
            a.synchronize();
            b.synchronize();
            long wake = WakeUps.ofHost(0).nanos(50);
            assertThat(wake).isPositive();
            assertThat(on(rt, "a", "add")).extracting(TraceSpan::startNanos)
                    .containsExactly(1000L, 8000L, 14000L + wake + 1000L);
        }
        assertThatThrownBy(() -> new HardwareProfile("w", "w", Map.of("bf16", 1.0), 1, 0, 1, 1, 1, 1, 1, 1, 1, Map.of(),
                0, 0, 2, 1, -1, 0, Map.of())).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("host.wake.us");
    }

    /** stream.wake.us: a stream that really waited for another runs again only after waking up; one that did not, at once. */
    @Test
    void aStreamThatWaitedForAnotherWakesUpBeforeItRunsAgain() {
        HardwareProfile waking = waking(TestProfiles.round(0, 0), 0, 20);
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1).withTracing(true),
                SimSettings.of(waking))) {
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Stream b = dev.createStream("b");
            Tensor x = big(dev, a);
            Tensor y = big(dev, b);
            dev.kernels().add(a, x, x, x);      // a: 0..6000
            Event e = dev.createEvent();
            a.record(e);
            b.waitEvent(e);                     // b idle at 0: really waits, wakes at 6000 + its first draw
            dev.kernels().add(b, y, y, y);      // b: wakeB..wakeB + 6000
            b.record(e);
            dev.kernels().add(b, y, y, y);      // b: wakeB + 6000..wakeB + 12000
            a.waitEvent(e);                     // a (clock 6000) waits for the record at wakeB + 6000, then wakes
            dev.kernels().add(a, x, x, x);
            b.waitEvent(e);                     // b waits for its own record: nothing
            a.synchronize();
            b.synchronize();
            long wakeB = 6000 + WakeUps.ofStream(0, "b").nanos(20);
            long wakeA = wakeB + 6000 + WakeUps.ofStream(0, "a").nanos(20);
            assertThat(wakeB).isGreaterThan(6000);
            assertThat(on(rt, "b", "add")).extracting(TraceSpan::startNanos).containsExactly(wakeB, wakeB + 6000);
            assertThat(on(rt, "a", "add")).extracting(TraceSpan::startNanos).containsExactly(0L, wakeA);
            e.close();
        }
    }

    /**
     * host.steal: where the host's threads share the devices' cores, the host zeroes a new buffer (its bytes at the
     * memory bandwidth) and issues operations on its clock, and the device's next kernel loses that share of it.
     */
    @Test
    void theHostsOwnWorkDelaysTheIssuingDevicesNextKernelByItsShare() {
        HardwareProfile r = TestProfiles.round(1, 0);
        HardwareProfile stealing = new HardwareProfile(r.name(), r.description(), r.peakTflops(), r.gemmEfficiency(),
                r.gemmHalfRows(), r.hbmGBps(), r.hbmEfficiency(), r.memoryGiB(), r.intraGBps(),
                r.intraLatencyMicros(), r.interGBps(), r.interLatencyMicros(), r.allToAllGBps(), r.launchMicros(),
                r.commSlowdown(), r.activationBytes(), r.devicesPerNode(), 0, 0, Map.of(), 0, Map.of(), Map.of(), 1,
                0.5, 0, true, Map.of());
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1).withTracing(true),
                SimSettings.of(stealing))) {
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Tensor x = big(dev, a);             // 4 MB zeroed on the host: clock 4000, 2000 to steal
            dev.kernels().add(a, x, x, x);      // issued at 5000: 6000 + 2000 + half of its 1000 launch
            dev.kernels().add(a, x, x, x);      // issued at 6000 after it: 6000 + 500
            a.synchronize();
            assertThat(on(rt, "a", "add")).extracting(TraceSpan::startNanos, TraceSpan::endNanos)
                    .containsExactly(tuple(5000L, 13500L), tuple(13500L, 20000L));
            // the host's own work so far: the zeroing and two launches (the synchronize is a wait, not work)
            assertThat(rt.issuedOperations(0)).isEqualTo(2);
            assertThat(rt.hostWorkNanos(0)).isEqualTo(6000);
        }
        try (SimRuntime rt = open(1, 1000)) {  // an accelerator's host takes nothing from it
            Device dev = rt.device(0);
            Stream a = dev.createStream("a");
            Tensor x = big(dev, a);
            dev.kernels().add(a, x, x, x);
            a.synchronize();
            assertThat(on(rt, "a", "add")).extracting(TraceSpan::durationNanos).containsExactly(6000L);
        }
    }

    /**
     * stream.park.us: a stream that ran out of work for longer than that parked its thread, so its next operation
     * also waits for it to wake up; one that had work again sooner runs it at once; an event wait's wake-up is the
     * wait's own.
     */
    @Test
    void aStreamThatRanDryLongerThanItsSpinWakesUpBeforeItsNextOperation() {
        for (double launch : new double[] {20, 3}) {
            HardwareProfile r = TestProfiles.round(launch, 0);
            HardwareProfile parking = new HardwareProfile(r.name(), r.description(), r.peakTflops(),
                    r.gemmEfficiency(), r.gemmHalfRows(), r.hbmGBps(), r.hbmEfficiency(), r.memoryGiB(),
                    r.intraGBps(), r.intraLatencyMicros(), r.interGBps(), r.interLatencyMicros(), r.allToAllGBps(),
                    r.launchMicros(), r.commSlowdown(), r.activationBytes(), r.devicesPerNode(), 0, 30, Map.of(), 0,
                    Map.of(), Map.of(), 1, 0, 5, true, Map.of());
            try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(1).withTracing(true),
                    SimSettings.of(parking))) {
                Device dev = rt.device(0);
                Stream a = dev.createStream("a");
                Tensor x = big(dev, a);
                dev.kernels().add(a, x, x, x);
                dev.kernels().add(a, x, x, x);
                a.synchronize();
                long l = Math.round(launch * 1000);
                List<Long> starts = on(rt, "a", "add").stream().map(TraceSpan::startNanos).toList();
                if (launch == 20) {
                    // issued at 20000 and 40000, each add 6000 long: a new stream's thread is parked, and after
                    // the first add it is dry again for longer than its 5 us spin unless its wake-up ran late
                    WakeUps wakes = WakeUps.ofStream(0, "a");
                    long first = l + wakes.nanos(30);
                    long dry = 2 * l - (first + 6000);
                    long second = dry > 5000 ? 2 * l + wakes.nanos(30) : Math.max(first + 6000, 2 * l);
                    assertThat(starts).containsExactly(first, second);
                } else {
                    // issued at 3000 and 6000: never dry for 5 us, so no wake-up at all
                    assertThat(starts).containsExactly(l, l + 6000);
                }
            }
        }
    }

    /** {@code round} with the given host and stream wake-ups. */
    private static HardwareProfile waking(HardwareProfile round, double hostWakeMicros, double streamWakeMicros) {
        return new HardwareProfile(round.name(), round.description(), round.peakTflops(), round.gemmEfficiency(),
                round.gemmHalfRows(), round.hbmGBps(), round.hbmEfficiency(), round.memoryGiB(), round.intraGBps(),
                round.intraLatencyMicros(), round.interGBps(), round.interLatencyMicros(), round.allToAllGBps(),
                round.launchMicros(), round.commSlowdown(), round.activationBytes(), round.devicesPerNode(),
                hostWakeMicros, streamWakeMicros, Map.of());
    }

    @Test
    void collectivesEndAtTheLastArrivalPlusTheTransferAndNeedNoThreadPerRank() {
        try (SimRuntime rt = open(2, 0)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            Stream s0 = rt.device(0).createStream("s0");
            Stream s1 = rt.device(1).createStream("s1");
            Tensor x0 = big(rt.device(0), s0);
            Tensor g0 = Tensor.allocate(rt.device(0), s0, DType.F32, 2000, 1000);
            Tensor x1 = big(rt.device(1), s1);
            Tensor g1 = Tensor.allocate(rt.device(1), s1, DType.F32, 2000, 1000);
            rt.device(0).kernels().add(s0, x0, x0, x0);    // rank 0 arrives at 6000, rank 1 at 0
            comms.get(0).allGather(s0, x0, g0);            // one thread enqueues both ranks: never blocks
            comms.get(1).allGather(s1, x1, g1);
            s0.synchronize();
            s1.synchronize();
            // 1 peer x 10^6 BF16 elements = 2 MB at 100 GB/s + 10 us
            long transfer = 20_000 + 10_000;
            assertThat(on(rt, "s0", "allGather").getFirst().endNanos()).isEqualTo(ADD + transfer);
            assertThat(on(rt, "s1", "allGather").getFirst().startNanos()).isZero();
            assertThat(on(rt, "s1", "allGather").getFirst().endNanos()).isEqualTo(ADD + transfer);
            assertThat(OverlapReport.of(rt.tracer().spans()).devices()).hasSize(2);
        }
    }

    @Test
    void smallBuffersCarryDataThroughCopiesAndAllGathers() {
        try (SimRuntime rt = open(2, 0)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            int[][] got = new int[2][];
            Thread[] threads = new Thread[2];
            for (int r = 0; r < 2; r++) {
                int rank = r;
                threads[r] = Thread.ofVirtual().start(() -> {
                    Device dev = rt.device(rank);
                    Stream s = dev.createStream("s");
                    Tensor mine = Tensor.allocate(dev, s, DType.I32, 3);
                    Tensor all = Tensor.allocate(dev, s, DType.I32, 6);
                    s.upload(new int[] {rank, rank + 10, rank + 20}, mine);
                    comms.get(rank).allGather(s, mine, all);
                    got[rank] = new int[6];
                    s.download(all, got[rank]);
                    s.synchronize();
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(got[0]).containsExactly(0, 10, 20, 1, 11, 21);
            assertThat(got[1]).containsExactly(0, 10, 20, 1, 11, 21);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** A count exchange grows with the group: its gathered output carries data even above the data limit. */
    @Test
    void anAllGatherOfDataCarryingInputsCarriesDataWhateverTheOutputSize() throws InterruptedException {
        int ranks = 4;
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(ranks),
                new SimSettings(TestProfiles.round(0, 0), "bf16", RoutingModel.balanced(), 16))) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            int[][] got = new int[ranks][];
            Thread[] threads = new Thread[ranks];
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                threads[r] = Thread.ofVirtual().start(() -> {
                    Device dev = rt.device(rank);
                    Stream s = dev.createStream("s");
                    Tensor mine = Tensor.allocate(dev, s, DType.I32, 4);          // 16 bytes: at the limit
                    Tensor all = Tensor.allocate(dev, s, DType.I32, 4L * ranks);   // 64 bytes: above it
                    s.upload(new int[] {rank, rank + 10, rank + 20, rank + 30}, mine);
                    comms.get(rank).allGather(s, mine, all);
                    got[rank] = new int[4 * ranks];
                    s.download(all, got[rank]);
                    s.synchronize();
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            for (int r = 0; r < ranks; r++) {
                assertThat(got[r]).containsExactly(0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32, 3, 13, 23, 33);
            }
        }
    }

    @Test
    void aRankThatNeverArrivesFailsTheCollectiveAfterTheTimeout() {
        try (SimRuntime rt = open(2, 0)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(),
                    CommunicatorOptions.defaults().withTimeout(Duration.ofMillis(200)));
            Stream s0 = rt.device(0).createStream("s0");
            Tensor x = Tensor.allocate(rt.device(0), s0, DType.F32, 4);
            comms.get(0).allReduce(s0, x, x, ReduceOp.SUM);
            assertThatThrownBy(s0::synchronize).isInstanceOf(StreamFailedException.class)
                    .hasCauseInstanceOf(CollectiveTimeoutException.class).cause().hasMessageContaining("[1]");
        }
    }

    @Test
    void validationIsTheHostBackendsWordForWord() {
        try (TandemRuntime host = TandemRuntime.open("host"); SimRuntime sim = open(1, 0)) {
            String[] messages = new String[2];
            TandemRuntime[] both = {host, sim};
            for (int i = 0; i < 2; i++) {
                Device dev = both[i].device(0);
                Stream s = dev.createStream("s");
                Tensor a = Tensor.allocate(dev, s, DType.F32, 4, 3);
                Tensor b = Tensor.allocate(dev, s, DType.F32, 5, 2);
                Tensor out = Tensor.allocate(dev, s, DType.F32, 4, 2);
                Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> dev.kernels().matmul(s, a, b, out));
                assertThat(t).isInstanceOf(ShapeException.class);
                messages[i] = t.getMessage();
                Communicator comm = both[i].createCommunicators(List.of(dev)).getFirst();
                Throwable c = org.assertj.core.api.Assertions.catchThrowable(() -> comm.allToAllV(s, a, new long[] {13},
                        new long[] {0}, a, new long[] {12}, new long[] {0}));
                assertThat(c).isInstanceOf(OutOfRangeException.class);
                messages[i] += " / " + c.getMessage();
                s.synchronize();
            }
            assertThat(messages[1]).isEqualTo(messages[0]);
        }
    }

    @Test
    void closingADeviceClosesItsBuffersAndConfinedCopyTargetsAreRefusedAsOnHost() {
        SimRuntime rt = open(1, 0);
        Device dev = rt.device(0);
        Stream s = dev.createStream("s");
        DeviceBuffer b = dev.allocate(8, s);
        try (Arena confined = Arena.ofConfined()) {
            assertThatThrownBy(() -> s.copyToHost(b, 0, confined.allocate(8)))
                    .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("confined");
        }
        dev.close();
        assertThat(b.isClosed()).isTrue();
        rt.close();
    }

    @Test
    void theBackendOpensByNameWithItsProperties() {
        RuntimeOptions options = RuntimeOptions.defaults().withBackend("sim").withDeviceCount(3)
                .withProperty(SimSettings.PROFILE, "h100").withProperty(SimSettings.QUANT, "fp8");
        try (TandemRuntime rt = TandemRuntime.open(options)) {
            assertThat(rt.backendName()).isEqualTo("sim");
            assertThat(rt.devices()).hasSize(3);
            assertThat(((SimRuntime) rt).costs().linearDType()).isEqualTo("fp8");
            assertThat(rt.device(0).memoryInfo().totalBytes()).isEqualTo(80L << 30);
        }
    }
}
