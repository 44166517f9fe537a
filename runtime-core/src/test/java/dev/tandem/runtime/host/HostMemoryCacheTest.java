package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Freed host memory is reused by later allocations of its size class, starts zeroed, and never outgrows the device. */
class HostMemoryCacheTest {

    @Test
    void sizeClassesServeEverySizeWithAtMostAnEighthWasted() {
        long previous = 0;
        for (long bytes = 1; bytes < (1L << 22); bytes += 1 + bytes / 97) {
            long size = HostMemoryCache.sizeClass(bytes);
            assertThat(size).as("class of %d", bytes).isGreaterThanOrEqualTo(bytes).isGreaterThanOrEqualTo(previous);
            if (bytes > 512) {
                assertThat((double) size / bytes).as("waste at %d", bytes).isLessThanOrEqualTo(1.125);
            }
            previous = size;
        }
        assertThat(HostMemoryCache.sizeClass(4096)).isEqualTo(4096);
        assertThat(HostMemoryCache.sizeClass(4097)).isEqualTo(4608);
        assertThat(HostMemoryCache.sizeClass(1)).isEqualTo(512);
    }

    @Test
    void aFreedBufferIsReusedByTheNextAllocationOfItsClassAndStartsZeroed() {
        try (TandemRuntime rt = HostFixture.open(1)) {
            HostDevice dev = (HostDevice) rt.device(0);
            Stream s = dev.createStream("s");
            Tensor a = Tensor.allocate(dev, s, DType.F32, 1000);
            dev.kernels().fill(s, a, 3);
            var segment = ((HostBuffer) a.buffer()).segment();
            a.buffer().close();
            s.synchronize();
            awaitAllFreed(dev);
            assertThat(dev.cachedBytes()).isEqualTo(HostMemoryCache.sizeClass(4000));
            Tensor b = Tensor.allocate(dev, s, DType.F32, 990);   // the same class
            assertThat(((HostBuffer) b.buffer()).segment().address()).isEqualTo(segment.address());
            assertThat(dev.cachedBytes()).isZero();
            float[] read = new float[990];
            s.download(b, read);
            assertThat(read).containsOnly(0f);
            b.buffer().close();
        }
    }

    @Test
    void theCacheIsTrimmedBeforeItWouldHoldMoreThanTheDeviceHas() {
        long capacity = 1 << 20;
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(1)
                .withDeviceMemoryBytes(capacity))) {
            HostDevice dev = (HostDevice) rt.device(0);
            Stream s = dev.createStream("s");
            // sizes of many classes, each freed before the next: live memory stays small, the cache may not grow
            for (int i = 0; i < 200; i++) {
                DeviceBuffer b = dev.allocate(40_000L + 3_000L * i, s);
                b.close();
                s.synchronize();
                awaitAllFreed(dev);
                assertThat(dev.cachedBytes()).isLessThanOrEqualTo(capacity);
            }
            // the whole device is still allocatable in one piece
            DeviceBuffer all = dev.allocate(capacity, s);
            all.close();
        }
    }

    @Test
    void closingTheDeviceReturnsItsCachedMemory() {
        Device dev;
        try (TandemRuntime rt = HostFixture.open(1)) {
            dev = rt.device(0);
            Stream s = dev.createStream("s");
            Tensor.allocate(dev, s, DType.F32, 4096).buffer().close();
            s.synchronize();
            awaitAllFreed((HostDevice) dev);
            assertThat(((HostDevice) dev).cachedBytes()).isPositive();
        }
        assertThat(((HostDevice) dev).cachedBytes()).isZero();
    }

    /** Waits until every buffer's free has reached the device: a free follows its stream's progress asynchronously. */
    private static void awaitAllFreed(HostDevice dev) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (dev.memoryInfo().freeBytes() != dev.memoryInfo().totalBytes()) {
            assertThat(System.nanoTime()).as("frees did not arrive within 10 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
