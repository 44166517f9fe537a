package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A buffer still in use by another device's stream is freed only after that use, even if its device closes first. */
class CrossDeviceFreeTest {

    @Test
    void freeWaitsForAnotherDevicesStreamAfterItsOwnDeviceClosed() throws Exception {
        try (TandemRuntime rt = HostFixture.open(2)) {
            Stream s0 = rt.device(0).createStream("s0");
            Stream s1 = rt.device(1).createStream("s1");
            DeviceBuffer target = rt.device(0).allocate(64, s0);
            DeviceBuffer source = rt.device(1).allocate(64, s1);
            s1.memset(source, 0, 64, (byte) 7);
            s1.synchronize();
            CountDownLatch gate = new CountDownLatch(1);
            s0.hostCallback(() -> {
                try {
                    gate.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            s0.copy(source, 0, target, 0, 64);   // device 0's stream reads device 1's memory
            source.close();
            rt.device(1).close();                 // its releaser stops before the copy has run
            gate.countDown();
            s0.synchronize();
            MemorySegment out = Arena.ofAuto().allocate(64);
            s0.copyToHost(target, 0, out);
            s0.synchronize();
            assertThat(out.get(ValueLayout.JAVA_BYTE, 63)).isEqualTo((byte) 7);
        }
    }
}
