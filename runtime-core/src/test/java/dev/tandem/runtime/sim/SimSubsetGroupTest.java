package dev.tandem.runtime.sim;

import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sim communicator group with more ranks than simulated devices: it reports the group's size, fills the virtual
 * ranks' parts of exchanges from their mirrors (rank v mirrors v mod S), checks what it can of all-to-all-v counts,
 * and costs collectives at the group's size, so a simulated rank's timeline is the one it has in the full group.
 */
class SimSubsetGroupTest {

    private static SimRuntime open(int devices) {
        return new SimRuntime(RuntimeOptions.defaults().withDeviceCount(devices).withTracing(true),
                SimSettings.of(TestProfiles.round(0, 0)));
    }

    /** Runs {@code body} for each simulated rank on its own thread (downloads block until a round completes). */
    private static void perRank(int ranks, IntConsumer body) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            threads.add(Thread.ofVirtual().start(() -> body.accept(rank)));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    @Test
    void communicatorsReportTheGroupSizeAndTheSimulatedRanks() {
        try (SimRuntime rt = open(2)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults(), 8);
            assertThat(comms).hasSize(2);
            assertThat(comms).extracting(Communicator::size).containsExactly(8, 8);
            assertThat(comms).extracting(Communicator::rank).containsExactly(0, 1);
            assertThat(rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults()))
                    .extracting(Communicator::size).containsExactly(2, 2);
            assertThatThrownBy(() -> rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults(), 3))
                    .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("multiple of the member count");
            assertThatThrownBy(() -> rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults(), 1))
                    .isInstanceOf(InvalidArgumentException.class);
        }
    }

    @Test
    void anAllGatherFillsTheVirtualRanksPartsFromTheirMirrors() throws InterruptedException {
        try (SimRuntime rt = open(2)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults(), 6);
            int[][] got = new int[2][];
            perRank(2, rank -> {
                Device dev = rt.device(rank);
                Stream s = dev.createStream("s");
                Tensor mine = Tensor.allocate(dev, s, DType.I32, 2);
                Tensor all = Tensor.allocate(dev, s, DType.I32, 12);
                s.upload(new int[] {rank, rank + 10}, mine);
                comms.get(rank).allGather(s, mine, all);
                got[rank] = new int[12];
                s.download(all, got[rank]);
                s.synchronize();
            });
            for (int[] g : got) {
                assertThat(g).containsExactly(0, 10, 1, 11, 0, 10, 1, 11, 0, 10, 1, 11);
            }
        }
    }

    @Test
    void aBroadcastFromAVirtualRootSendsItsMirrorsData() throws InterruptedException {
        try (SimRuntime rt = open(2)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults(), 4);
            int[][] got = new int[2][];
            perRank(2, rank -> {
                Device dev = rt.device(rank);
                Stream s = dev.createStream("s");
                Tensor t = Tensor.allocate(dev, s, DType.I32, 2);
                s.upload(new int[] {rank, 100 + rank}, t);
                comms.get(rank).broadcast(s, t, 3);      // rank 3 mirrors rank 1
                got[rank] = new int[2];
                s.download(t, got[rank]);
                s.synchronize();
            });
            assertThat(got[0]).containsExactly(1, 101);
            assertThat(got[1]).containsExactly(1, 101);
        }
    }

    /** The same collective in a full group of G devices and in 2 simulated ranks of G ends at the same time. */
    @Test
    void collectivesCostTheFullGroupsSize() {
        int group = 4 * TestProfiles.round(0, 0).devicesPerNode();   // across nodes
        long[] subset = collectiveEnds(2, group);
        long[] full = collectiveEnds(group, group);
        assertThat(subset).containsExactly(full[0], full[1]);
        // and not what a group of just the 2 simulated ranks costs
        assertThat(collectiveEnds(2, 2)[0]).isNotEqualTo(subset[0]);
        try (SimRuntime rt = open(1)) {
            double wire = 1000.0 * 1000 * rt.costs().wireBytes(DType.F32);
            assertThat(subset[0]).isEqualTo(Math.round(rt.costs().collectiveNanos("allGather", (group - 1) * wire,
                    group)));
        }
    }

    /** The first two ranks' all-gather end times when every simulated rank gathers a [1000, 1000] tensor. */
    private static long[] collectiveEnds(int devices, int group) {
        try (SimRuntime rt = open(devices)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults(), group);
            List<Stream> streams = new ArrayList<>();
            for (int r = 0; r < devices; r++) {
                Device dev = rt.device(r);
                Stream s = dev.createStream("s" + r);
                streams.add(s);
                Tensor x = Tensor.allocate(dev, s, DType.F32, 1000, 1000);
                Tensor all = Tensor.allocate(dev, s, DType.F32, 1000L * group, 1000);
                comms.get(r).allGather(s, x, all);     // enqueuing never blocks: one thread issues every rank
            }
            streams.forEach(Stream::synchronize);
            long[] ends = new long[2];
            for (int r = 0; r < ends.length; r++) {
                String name = "s" + r;
                ends[r] = rt.tracer().spans().stream().filter(t -> t.stream().equals(name)
                        && t.name().equals("allGather")).mapToLong(TraceSpan::endNanos).findFirst().orElseThrow();
            }
            return ends;
        }
    }

    @Test
    void allToAllVChecksWhatEachSimulatedRankExpectsAgainstTheSendersMirrors() {
        // every rank sends the same counts: 1 element to even ranks, 2 to odd ones (a symmetric exchange)
        long[] send = {1, 2, 1, 2};
        assertThat(allToAllV(send, rank -> rank % 2 == 0 ? new long[] {1, 1, 1, 1} : new long[] {2, 2, 2, 2}))
                .isNull();
        Throwable failure = allToAllV(send, rank -> rank == 0 ? new long[] {1, 1, 1, 3} : new long[] {2, 2, 2, 2});
        assertThat(failure).isInstanceOf(StreamFailedException.class).cause().isInstanceOf(CollectiveException.class)
                .hasMessageContaining("expects 3 elements from rank 3").hasMessageContaining("mirror, rank 1");
    }

    /** Two simulated ranks of a group of 4 exchange with {@code sendCounts} each; returns the first failure. */
    private static Throwable allToAllV(long[] sendCounts, IntFunction<long[]> recvCounts) {
        try (SimRuntime rt = open(2)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults(), 4);
            List<Stream> streams = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                Device dev = rt.device(r);
                Stream s = dev.createStream("s" + r);
                streams.add(s);
                long[] recv = recvCounts.apply(r);
                Tensor in = Tensor.allocate(dev, s, DType.F32, 8);
                Tensor out = Tensor.allocate(dev, s, DType.F32, 8);
                comms.get(r).allToAllV(s, in, sendCounts, offsets(sendCounts), out, recv, offsets(recv));
            }
            Throwable failure = null;
            for (Stream s : streams) {
                try {
                    s.synchronize();
                } catch (StreamFailedException e) {
                    failure = failure == null ? e : failure;
                }
            }
            return failure;
        }
    }

    private static long[] offsets(long[] counts) {
        long[] off = new long[counts.length];
        for (int i = 1; i < counts.length; i++) {
            off[i] = off[i - 1] + counts[i - 1];
        }
        return off;
    }
}
