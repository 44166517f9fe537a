package dev.tandem.ascend;

import dev.tandem.runtime.CollectiveTimeoutException;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Root-info rendezvous across real JVM processes, and the other two ways to form a group. */
@Tag("emulator")
class HcclMultiProcessTest {

    /** Entry point of the child JVMs: fetch rank 0's root info over TCP and print its SHA-256. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            byte[] info = HcclRendezvous.fetch(new InetSocketAddress(args[0], Integer.parseInt(args[1])), Duration.ofSeconds(20));
            System.out.println("ROOTINFO " + info.length + " " + sha256(info));
        }
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void rootInfoReachesRanksInOtherProcesses() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            byte[] info = HcclCommunicator.rootInfo((AscendDevice) rt.device(0));
            assertThat(info).hasSize(4108);
            InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            try (HcclRendezvous.Server server = HcclRendezvous.serve(bind, info, 2)) {
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                List<Process> children = new ArrayList<>();
                for (int r = 1; r <= 2; r++) {
                    children.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                            Child.class.getName(), "127.0.0.1", Integer.toString(server.port()))
                            .redirectErrorStream(true).start());
                }
                for (Process p : children) {
                    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(p.exitValue()).as(output).isZero();
                    assertThat(output).contains("ROOTINFO 4108 " + sha256(info));
                }
                server.awaitServed(Duration.ofSeconds(5));
                assertThat(server.served()).isEqualTo(2);
            }
        }
    }

    @Test
    void fetchingFromNobodyTimesOutClearly() throws IOException {
        int port;
        try (var probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        InetSocketAddress nobody = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        assertThatThrownBy(() -> HcclRendezvous.fetch(nobody, Duration.ofMillis(300)))
                .isInstanceOf(CollectiveTimeoutException.class).hasMessageContaining(Integer.toString(port));
    }

    @Test
    void ranksJoinThroughASharedFileAndThroughARankTable(@TempDir Path dir) throws Exception {
        try (TandemRuntime rt = AscendFixture.open(2); ExecutorService pool = Executors.newFixedThreadPool(2)) {
            AscendRuntime art = (AscendRuntime) rt;
            Path file = dir.resolve("root.info");
            HcclRendezvous.publish(file, HcclCommunicator.rootInfo((AscendDevice) rt.device(0)));
            List<Future<Communicator>> joined = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                joined.add(pool.submit(() -> HcclCommunicator.join((AscendDevice) rt.device(rank),
                        HcclRendezvous.await(file, Duration.ofSeconds(5)), 2, rank)));
            }
            allReduceOnce(rt, List.of(joined.get(0).get(), joined.get(1).get()));

            Path table = dir.resolve("rank_table.json");
            Files.writeString(table, """
                    {"status": "completed", "version": "1.0", "server_count": "1",
                     "server_list": [{"server_id": "node_0", "device": [
                        {"device_id": "0", "device_ip": "", "rank_id": "0"},
                        {"device_id": "1", "device_ip": "", "rank_id": "1"}]}]}
                    """);
            RankTable parsed = RankTable.load(table);
            assertThat(parsed.size()).isEqualTo(2);
            assertThat(parsed.rank(1).deviceId()).isEqualTo(1);
            assertThat(parsed.rank(1).serverId()).isEqualTo("node_0");
            List<Future<Communicator>> fromTable = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                fromTable.add(pool.submit(() -> art.joinCommunicator((AscendDevice) rt.device(parsed.rank(rank).deviceId()),
                        table, rank)));
            }
            List<Communicator> comms = List.of(fromTable.get(0).get(), fromTable.get(1).get());
            assertThat(((HcclCommunicator) comms.get(0)).name()).isNotBlank();
            allReduceOnce(rt, comms);
        }
    }

    @Test
    void joiningThroughRootInfoWithOptions() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(2); ExecutorService pool = Executors.newFixedThreadPool(2)) {
            AscendRuntime art = (AscendRuntime) rt;
            byte[] info = HcclCommunicator.rootInfo((AscendDevice) rt.device(0));
            CommunicatorOptions options = CommunicatorOptions.defaults().withTimeout(Duration.ofSeconds(10));
            List<Future<Communicator>> joined = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                joined.add(pool.submit(() -> art.joinCommunicator((AscendDevice) rt.device(rank), info, 2, rank, options)));
            }
            allReduceOnce(rt, List.of(joined.get(0).get(), joined.get(1).get()));
        }
    }

    /**
     * One allReduce per rank, each issued from its own thread: joined communicators set up their links inside the
     * first operation, which blocks until every rank made it (as HCCL does).
     */
    private static void allReduceOnce(TandemRuntime rt, List<Communicator> comms) throws Exception {
        List<Stream> streams = new ArrayList<>();
        List<Tensor> tensors = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        RuntimeException[] failures = new RuntimeException[comms.size()];
        for (Communicator c : comms) {
            Stream s = c.device().createStream("c" + c.rank());
            Tensor t = Tensor.allocate(c.device(), s, DType.F32, 3);
            s.upload(new float[]{c.rank() + 1, 10, 100}, t);
            streams.add(s);
            tensors.add(t);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    c.allReduce(s, t, t, ReduceOp.SUM);
                } catch (RuntimeException e) {
                    failures[c.rank()] = e;
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        for (RuntimeException f : failures) {
            if (f != null) {
                throw f;
            }
        }
        for (int r = 0; r < comms.size(); r++) {
            assertThat(streams.get(r).readFloats(tensors.get(r))).containsExactly(3, 20, 200);
        }
    }
}
