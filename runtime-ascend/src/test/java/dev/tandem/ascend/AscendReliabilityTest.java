package dev.tandem.ascend;

import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.StreamTimeoutException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import dev.tandem.ascend.ffi.hccl.Hccl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backend against the strict emulator: the failures a reliability probe found, and the behaviour the documented
 * CANN rules force (pooled events and staging, frees off callbacks, peer access, classification by code).
 */
@Tag("emulator")
class AscendReliabilityTest {

    @AfterEach
    void reset() {
        Emulator.failures("");
        Emulator.configure("hccl_config_capability", Hccl.HCCL_COMM_CONFIG_RESERVED());
    }

    @Test
    void aReportThreadThatKeepsFailingEndsSynchronizeWithItsCode() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            Stream s = rt.device(0).createStream("reports");
            Emulator.failures("aclrtProcessReport=507000");
            // A poll that began before the injection may still deliver; it returns within its 50 ms timeout.
            sleepMillis(120);
            s.hostCallback(() -> { });
            long start = System.nanoTime();
            assertThatThrownBy(s::synchronize).isInstanceOf(StreamFailedException.class)
                    .hasMessageContaining("host callback delivery")
                    .cause().isInstanceOfSatisfying(AclException.class, e -> {
                        assertThat(e.code()).isEqualTo(507000);
                        assertThat(e.function()).isEqualTo("aclrtProcessReport");
                    });
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(20));
            Emulator.failures("");
        }
    }

    @Test
    void closingTheRuntimeFromAHostCallbackDoesNotDeadlock() throws Exception {
        TandemRuntime rt = AscendFixture.open(1);
        Stream s = rt.device(0).createStream("cb");
        CountDownLatch ran = new CountDownLatch(1);
        s.hostCallback(() -> {
            rt.close();
            ran.countDown();
        });
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!rt.isClosed() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(rt.isClosed()).isTrue();
        rt.close();
    }

    @Test
    void aTimeoutOfZeroPollsAndLeavesTheStreamUsable() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            Stream s = rt.device(0).createStream("poll");
            CountDownLatch release = new CountDownLatch(1);
            s.hostCallback(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThatThrownBy(() -> s.synchronize(Duration.ZERO)).isInstanceOf(StreamTimeoutException.class);
            assertThatThrownBy(() -> s.synchronize(Duration.ofMillis(30))).isInstanceOf(StreamTimeoutException.class);
            release.countDown();
            s.synchronize(Duration.ofSeconds(10));
            s.synchronize(Duration.ZERO);
            Tensor t = Tensor.allocate(rt.device(0), s, DType.F32, 4);
            s.upload(new float[]{1, 2, 3, 4}, t);
            assertThat(s.readFloats(t)).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void asyncOperatorFailuresKeepTheirCannCode() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            var dev = rt.device(0);
            Stream s = dev.createStream("ops");
            Tensor src = Tensor.allocate(dev, s, DType.F32, 4, 2);
            Tensor idx = Tensor.allocate(dev, s, DType.I64, 1);
            Tensor out = Tensor.allocate(dev, s, DType.F32, 1, 2);
            s.upload(new long[]{7}, idx);
            dev.kernels().indexSelect(s, src, idx, out);
            assertThatThrownBy(s::synchronize).isInstanceOf(StreamFailedException.class)
                    .hasMessageContaining("indexSelect")
                    .cause().isInstanceOfSatisfying(AclException.class, e -> {
                        assertThat(e.code()).isEqualTo(507015);
                        assertThat(e.codeName()).isEqualTo("ACL_ERROR_RT_AICORE_EXCEPTION");
                    });
        }
    }

    @Test
    void aclnnObjectFailuresReportANamedCodeAndDestroyFailuresAreNotSwallowed() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            var dev = rt.device(0);
            Stream s = dev.createStream("objects");
            Tensor a = Tensor.allocate(dev, s, DType.F32, 4);
            Tensor b = Tensor.allocate(dev, s, DType.F32, 4);
            Emulator.failures("aclCreateTensor=161002@1");
            assertThatThrownBy(() -> dev.kernels().add(s, a, a, b)).isInstanceOfSatisfying(AclnnException.class, e -> {
                assertThat(e.code()).isEqualTo(561103);
                assertThat(e.codeName()).isEqualTo("ACLNN_ERR_INNER_NULLPTR");
                assertThat(e.getMessage()).contains("161002");
            });
            Emulator.failures("aclDestroyTensor=161002@1");
            assertThatThrownBy(() -> dev.kernels().add(s, a, a, b)).isInstanceOfSatisfying(AclnnException.class, e -> {
                assertThat(e.code()).isEqualTo(161002);
                assertThat(e.function()).isEqualTo("aclDestroyTensor");
            });
            Emulator.failures("");
            s.synchronize();
        }
    }

    @Test
    void stagingIsPooledEventsAreExAndPooledAndFreesWaitForTheirEvents() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            Stream s = dev.createStream("pool");
            Stream other = dev.createStream("other");
            long pinned = Emulator.calls("aclrtMallocHost");
            long legacy = Emulator.calls("aclrtCreateEventWithFlag");
            float[] data = new float[256];
            for (int i = 0; i < 50; i++) {
                Tensor t = Tensor.allocate(dev, s, DType.F32, 256);
                s.upload(data, t);
                other.waitStream(s);
                s.waitStream(other);
                assertThat(s.readFloats(t)).hasSize(256);
                t.buffer().close();
            }
            s.synchronize();
            assertThat(Emulator.calls("aclrtMallocHost") - pinned).as("pinned allocations for 100 copies").isLessThan(5);
            assertThat(Emulator.calls("aclrtCreateEventWithFlag") - legacy).as("legacy events").isZero();
            assertThat(dev.eventPool().created()).as("pooled events for 100 waits and 50 frees").isLessThan(10);
            assertThat(dev.deferredFrees().size()).as("frees left after synchronize").isZero();
        }
    }

    @Test
    void crossDeviceCopiesEnablePeerAccessFirst() {
        try (TandemRuntime rt = AscendFixture.open(2)) {
            Stream s0 = rt.device(0).createStream("a");
            Stream s1 = rt.device(1).createStream("b");
            Tensor a = Tensor.allocate(rt.device(0), s0, DType.F32, 3);
            Tensor b = Tensor.allocate(rt.device(1), s1, DType.F32, 3);
            s0.upload(new float[]{1, 2, 3}, a);
            s0.synchronize();
            s1.copy(a.buffer(), 0, b.buffer(), 0, 12);
            assertThat(s1.readFloats(b)).containsExactly(1, 2, 3);
            assertThat(Emulator.calls("aclrtDeviceEnablePeerAccess")).isPositive();
        }
    }

    @Test
    void unsupportedReductionsAreRejectedBeforeEnqueueingWithTheOperatorAndDtype() {
        try (TandemRuntime rt = AscendFixture.open(2)) {
            var comms = rt.createCommunicators(List.of(rt.device(0), rt.device(1)));
            Stream s = rt.device(0).createStream("c");
            Tensor u8 = Tensor.allocate(rt.device(0), s, DType.U8, 4);
            Tensor bf16 = Tensor.allocate(rt.device(0), s, DType.BF16, 4);
            assertThatThrownBy(() -> comms.get(0).allReduce(s, u8, u8, ReduceOp.SUM))
                    .isInstanceOf(FeatureNotSupportedException.class).hasMessageContaining("allReduce").hasMessageContaining("U8");
            assertThatThrownBy(() -> comms.get(0).reduceScatter(s, bf16, bf16.slice(0, 0, 2), ReduceOp.PROD))
                    .isInstanceOf(FeatureNotSupportedException.class).hasMessageContaining("BF16");
            assertThat(comms.get(0).supportsReduction(DType.BOOL, ReduceOp.PROD)).isTrue();
            comms.forEach(c -> c.close());
        }
    }

    @Test
    void anOlderHcclGetsAConfigItCanLoadAndATimeoutItCannotTakeIsRefused() throws Exception {
        Emulator.configure("hccl_config_capability", Hccl.HCCL_COMM_CONFIG_SUPPORT_INIT_BY_ENV());
        try (TandemRuntime rt = AscendFixture.open(2)) {
            var group = List.of(rt.device(0), rt.device(1));
            assertThatThrownBy(() -> rt.createCommunicators(group, CommunicatorOptions.defaults().withTimeout(Duration.ofSeconds(5))))
                    .isInstanceOf(FeatureNotSupportedException.class).hasMessageContaining("HCCL_EXEC_TIMEOUT");
            AscendRuntime art = (AscendRuntime) rt;
            byte[] root = HcclCommunicator.rootInfo((AscendDevice) rt.device(0));
            var joined = new dev.tandem.runtime.Communicator[2];
            Thread t = Thread.ofPlatform().start(() -> joined[1] = art.joinCommunicator((AscendDevice) rt.device(1), root, 2, 1,
                    CommunicatorOptions.defaults()));
            joined[0] = art.joinCommunicator((AscendDevice) rt.device(0), root, 2, 0, CommunicatorOptions.defaults());
            t.join();
            assertThat(joined[1]).isNotNull();
            for (var c : joined) {
                c.close();
            }
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
