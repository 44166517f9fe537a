package dev.tandem.runtime.host;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.StreamTimeoutException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Closing a host stream aborts its work instead of waiting for it. */
class HostStreamCloseTest {

    private static TandemRuntime open() {
        return TandemRuntime.open(RuntimeOptions.defaults().withBackend("host")
                .withProperty(HostRuntime.CLOSE_GRACE_PROPERTY, "300"));
    }

    @Test
    void closeInterruptsTheRunningCallbackAndDropsQueuedWork() throws Exception {
        try (TandemRuntime rt = open()) {
            Device dev = rt.device(0);
            Stream s = dev.createStream("aborted");
            Stream other = dev.createStream("other");
            CountDownLatch never = new CountDownLatch(1);
            AtomicBoolean interrupted = new AtomicBoolean();
            AtomicInteger laterRan = new AtomicInteger();
            s.hostCallback(() -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    interrupted.set(true);
                }
            });
            for (int i = 0; i < 5; i++) {
                s.hostCallback(laterRan::incrementAndGet);
            }
            Event last = s.record();
            other.waitEvent(last);
            Thread.sleep(20);
            long start = System.nanoTime();
            s.close();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000);
            assertThat(interrupted).isTrue();
            assertThat(laterRan).hasValue(0);
            assertThatThrownBy(last::synchronize).isExactlyInstanceOf(StreamFailedException.class)
                    .cause().isExactlyInstanceOf(HandleClosedException.class);
            assertThatThrownBy(other::synchronize).isExactlyInstanceOf(StreamFailedException.class)
                    .hasRootCauseExactlyInstanceOf(HandleClosedException.class);
            last.close();
        }
    }

    @Test
    void aCallbackThatNeverReturnsIsReportedWithinTheGrace() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        TandemRuntime rt = open();
        Stream s = rt.device(0).createStream("stuck");
        s.hostCallback(() -> {
            started.countDown();
            while (release.getCount() > 0) {
                Thread.onSpinWait();   // ignores interrupts on purpose
            }
        });
        try {
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            assertThatThrownBy(s::close).isExactlyInstanceOf(StreamTimeoutException.class)
                    .hasMessageContaining("hostCallback").hasMessageContaining("did not return");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3_000);
            assertThat(s.isClosed()).isTrue();
            rt.close();
            assertThat(rt.isClosed()).isTrue();
        } finally {
            release.countDown();
        }
    }

    /** A rank waiting in a collective for a peer that never comes is aborted by close, not by the timeout. */
    @Test
    void closeAbortsARankWaitingInACollective() {
        TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(2)
                .withProperty(HostRuntime.CLOSE_GRACE_PROPERTY, "300"));
        List<Communicator> comms = rt.createCommunicators(rt.devices(),
                CommunicatorOptions.defaults().withTimeout(Duration.ofMinutes(5)));
        Device dev = rt.device(0);
        Stream s = dev.createStream("waiting");
        Tensor t = Tensor.allocate(dev, s, DType.F32, 4);
        comms.get(0).allReduce(s, t, t, ReduceOp.SUM);   // rank 1 never joins
        long start = System.nanoTime();
        rt.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3_000);
        assertThat(comms.get(0).isClosed()).isTrue();
    }
}
