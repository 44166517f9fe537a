package dev.tandem.runtime.host;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.FloatFormats;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * A stand-in for the host device, so the kernel math can be tested without streams: a launcher that runs work
 * inline (on a small thread pool for {@code parallelFor}), buffers over shared arena memory, and proxy device
 * and stream objects that answer only what the kernels ask.
 */
final class HostKernelTestBench implements AutoCloseable {
    final Arena arena = Arena.ofShared();
    final Device device = fakeDevice(0);
    final Stream stream = fakeStream(device);
    final FakeLauncher launcher;
    final HostKernels kernels;

    /** A bench on the Java GEMM (bitwise the naive loop), whatever -Dtandem.gemm says. */
    HostKernelTestBench(int threads) {
        this(threads, HostGemms.select("java"));
    }

    HostKernelTestBench(int threads, HostGemm gemm) {
        launcher = new FakeLauncher(threads);
        kernels = new HostKernels(launcher, gemm);
    }

    Tensor tensor(DType dtype, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return Tensor.of(new FakeBuffer(device, stream, arena.allocate(Math.max(1, n * dtype.byteSize()), 8)), dtype, shape);
    }

    /** A tensor on another (fake) device, for device checks. */
    Tensor foreignTensor(DType dtype, long... shape) {
        Device other = fakeDevice(1);
        return Tensor.of(new FakeBuffer(other, fakeStream(other), arena.allocate(64, 8)), dtype, shape);
    }

    /** Writes values into a contiguous floating tensor, rounding to its dtype. */
    void write(Tensor t, float... values) {
        MemorySegment s = ((FakeBuffer) t.buffer()).segment;
        for (int i = 0; i < values.length; i++) {
            long at = (t.offset() + i) * t.dtype().byteSize();
            switch (t.dtype()) {
                case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at, values[i]);
                case BF16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, FloatFormats.floatToBf16(values[i]));
                case F16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, FloatFormats.floatToF16(values[i]));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
    }

    /** Writes values into a contiguous integer tensor. */
    void writeLongs(Tensor t, long... values) {
        MemorySegment s = ((FakeBuffer) t.buffer()).segment;
        for (int i = 0; i < values.length; i++) {
            long at = (t.offset() + i) * t.dtype().byteSize();
            switch (t.dtype()) {
                case I64 -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, at, values[i]);
                case I32 -> s.set(ValueLayout.JAVA_INT_UNALIGNED, at, (int) values[i]);
                default -> s.set(ValueLayout.JAVA_BYTE, at, (byte) values[i]);
            }
        }
    }

    /** Reads a contiguous floating tensor. */
    float[] read(Tensor t) {
        MemorySegment s = ((FakeBuffer) t.buffer()).segment;
        float[] values = new float[Math.toIntExact(t.numel())];
        for (int i = 0; i < values.length; i++) {
            long at = (t.offset() + i) * t.dtype().byteSize();
            values[i] = switch (t.dtype()) {
                case F32 -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at);
                case BF16 -> FloatFormats.bf16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
                case F16 -> FloatFormats.f16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
                default -> throw new IllegalArgumentException(t.toString());
            };
        }
        return values;
    }

    /** Reads a contiguous integer tensor. */
    long[] readLongs(Tensor t) {
        MemorySegment s = ((FakeBuffer) t.buffer()).segment;
        long[] values = new long[Math.toIntExact(t.numel())];
        for (int i = 0; i < values.length; i++) {
            long at = (t.offset() + i) * t.dtype().byteSize();
            values[i] = switch (t.dtype()) {
                case I64 -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
                case I32 -> s.get(ValueLayout.JAVA_INT_UNALIGNED, at);
                case U8, BOOL -> s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
                default -> s.get(ValueLayout.JAVA_BYTE, at);
            };
        }
        return values;
    }

    @Override
    public void close() {
        launcher.pool.close();
        arena.close();
    }

    /** Runs work inline and keeps what was launched and how it ended. */
    static final class FakeLauncher implements KernelLauncher {
        final List<String> launched = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();
        final int threads;
        final ExecutorService pool;

        FakeLauncher(int threads) {
            this.threads = threads;
            this.pool = Executors.newFixedThreadPool(threads);
        }

        @Override
        public void launch(Stream stream, String name, List<Tensor> reads, List<Tensor> writes, Runnable work) {
            launched.add(name);
            try {
                work.run();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }

        @Override
        public MemorySegment segment(DeviceBuffer buffer) {
            return ((FakeBuffer) buffer).segment;
        }

        @Override
        public int computeThreads() {
            return threads;
        }

        @Override
        public void parallelFor(int count, IntConsumer task) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> task.accept(index)));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    static final class FakeBuffer implements DeviceBuffer {
        final Device device;
        final Stream stream;
        final MemorySegment segment;

        FakeBuffer(Device device, Stream stream, MemorySegment segment) {
            this.device = device;
            this.stream = stream;
            this.segment = segment;
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public long byteSize() {
            return segment.byteSize();
        }

        @Override
        public Stream allocationStream() {
            return stream;
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public void close() {
        }
    }

    private static Device fakeDevice(int id) {
        return (Device) Proxy.newProxyInstance(Device.class.getClassLoader(), new Class<?>[] {Device.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> id;
                    case "name" -> "fake" + id;
                    case "toString" -> "fake device " + id;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static Stream fakeStream(Device device) {
        return (Stream) Proxy.newProxyInstance(Stream.class.getClassLoader(), new Class<?>[] {Stream.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "device" -> device;
                    case "name" -> "fake-stream";
                    case "toString" -> "fake stream";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
