package dev.tandem.runtime.host;

import dev.tandem.runtime.CollectiveAbortedException;
import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One rank's failure aborts its peers' collectives at once, with the root cause as the cause: the timeout here is a
 * minute, and every assertion waits at most a few seconds, so a peer that waited out the timeout fails the test.
 */
class CollectiveAbortTest {
    private static final CommunicatorOptions MINUTE = CommunicatorOptions.defaults().withTimeout(Duration.ofMinutes(1));
    private static final Duration FEW_SECONDS = Duration.ofSeconds(5);

    private static final class Boom extends RuntimeException {
        Boom() {
            super("router score is NaN (injected)");
        }
    }

    @Test
    void aFailedStreamOnOneRankFailsEveryPeerAtOnceWithTheRootCause() {
        try (TandemRuntime rt = HostFixture.open(3)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), MINUTE);
            List<Stream> streams = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                Stream s = rt.device(r).createStream("comm" + r);
                streams.add(s);
                Tensor t = Tensor.allocate(rt.device(r), s, DType.F32, 4);
                comms.get(r).allReduce(s, t, t, ReduceOp.SUM);   // one good round first: the stream is watched
                if (r == 1) {
                    s.hostCallback(() -> {
                        throw new Boom();
                    });
                }
                comms.get(r).allReduce(s, t, t, ReduceOp.SUM);   // rank 1 skips this one
            }
            long start = System.nanoTime();
            for (int r = 0; r < 3; r++) {
                Stream s = streams.get(r);
                assertThatThrownBy(() -> s.synchronize(FEW_SECONDS)).isInstanceOf(StreamFailedException.class)
                        .hasRootCauseInstanceOf(Boom.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FEW_SECONDS);
            // the peers' failure names the abort, caused directly by the root cause (not a suppressed entry)
            Stream peer = streams.get(0);
            assertThatThrownBy(peer::synchronize).cause().isInstanceOf(CollectiveAbortedException.class)
                    .cause().isInstanceOf(Boom.class);
            // and the next collective of the group fails at once too
            Stream fresh = rt.device(2).createStream("fresh");
            Tensor t = Tensor.allocate(rt.device(2), fresh, DType.F32, 4);
            comms.get(2).allReduce(fresh, t, t, ReduceOp.SUM);
            assertThatThrownBy(() -> fresh.synchronize(FEW_SECONDS)).hasRootCauseInstanceOf(Boom.class);
            comms.forEach(Communicator::close);
        }
    }

    @Test
    void closingOneRanksCommunicatorFailsPeersWaitingForIt() {
        try (TandemRuntime rt = HostFixture.open(2)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), MINUTE);
            Stream s = rt.device(0).createStream("comm0");
            Tensor t = Tensor.allocate(rt.device(0), s, DType.F32, 4);
            comms.get(0).allGather(s, t.slice(0, 0, 2), t);       // rank 1 never joins
            comms.get(1).close();
            long start = System.nanoTime();
            assertThatThrownBy(() -> s.synchronize(FEW_SECONDS)).isInstanceOf(StreamFailedException.class)
                    .cause().isInstanceOf(CollectiveAbortedException.class).hasMessageContaining("rank 1 was closed");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FEW_SECONDS);
            comms.get(0).close();
        }
    }

    @Test
    void mismatchedAllToAllVCountsFailEveryRank() {
        try (TandemRuntime rt = HostFixture.open(2)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), MINUTE);
            List<Stream> streams = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                Stream s = rt.device(r).createStream("comm" + r);
                streams.add(s);
                Tensor send = Tensor.allocate(rt.device(r), s, DType.F32, 4);
                Tensor recv = Tensor.allocate(rt.device(r), s, DType.F32, 4);
                long[] counts = {2, 2};
                long[] displs = {0, 2};
                // rank 0 expects 1 element from rank 1, which sends 2
                long[] recvCounts = r == 0 ? new long[]{2, 1} : counts;
                comms.get(r).allToAllV(s, send, counts, displs, recv, recvCounts, displs);
            }
            for (Stream s : streams) {
                assertThatThrownBy(() -> s.synchronize(FEW_SECONDS)).isInstanceOf(StreamFailedException.class)
                        .hasRootCauseInstanceOf(CollectiveException.class)
                        .rootCause().hasMessageContaining("expects 1 elements from rank 1");
            }
            comms.forEach(Communicator::close);
        }
    }

    @Test
    void anEmulatedTransferIsBoundedByTheTimeoutAndEndsOnAbort() {
        LinkEmulation glacial = new LinkEmulation(1e-9, 0);   // a 4-byte all-reduce would take hours
        try (TandemRuntime rt = HostFixture.open(2)) {
            var options = CommunicatorOptions.defaults().withTimeout(Duration.ofMillis(300)).withLink(glacial);
            List<Communicator> comms = rt.createCommunicators(rt.devices(), options);
            List<Stream> streams = new ArrayList<>();
            long start = System.nanoTime();
            for (int r = 0; r < 2; r++) {
                Stream s = rt.device(r).createStream("comm" + r);
                streams.add(s);
                Tensor t = Tensor.allocate(rt.device(r), s, DType.F32, 1);
                comms.get(r).allReduce(s, t, t, ReduceOp.SUM);
            }
            streams.forEach(s -> s.synchronize(FEW_SECONDS));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FEW_SECONDS);
            comms.forEach(Communicator::close);
        }
        try (TandemRuntime rt = HostFixture.open(2)) {
            List<Communicator> comms = rt.createCommunicators(rt.devices(), MINUTE.withLink(glacial));
            List<Stream> streams = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                Stream s = rt.device(r).createStream("comm" + r);
                streams.add(s);
                Tensor t = Tensor.allocate(rt.device(r), s, DType.F32, 1);
                comms.get(r).allReduce(s, t, t, ReduceOp.SUM);   // sleeps up to a minute in the emulated link
            }
            sleep(100);
            long start = System.nanoTime();
            comms.get(1).close();
            for (Stream s : streams) {
                assertThatThrownBy(() -> s.synchronize(FEW_SECONDS)).isInstanceOf(StreamFailedException.class)
                        .cause().isInstanceOf(CollectiveAbortedException.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FEW_SECONDS);
            comms.get(0).close();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
