package dev.tandem.runtime.host;

import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.DeviceOutOfMemoryException;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.EventOptions;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.MemoryInfo;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/** One emulated device: owns its streams, events, buffers and the threads its kernels may use. */
final class HostDevice implements Device, KernelLauncher {
    private final HostRuntime runtime;
    private final int id;
    private final long capacity;
    private final AtomicLong used = new AtomicLong();
    private final ComputePool pool;
    private final HostKernels kernels;
    private final List<HostStream> streams = new CopyOnWriteArrayList<>();
    private final List<HostEvent> events = new CopyOnWriteArrayList<>();
    private final List<HostBuffer> buffers = new CopyOnWriteArrayList<>();
    private final List<HostCommunicator> communicators = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LeakTracker.Registration registration;
    private volatile int rank = -1;
    private final java.util.concurrent.ExecutorService releaser;

    HostDevice(HostRuntime runtime, int id, int computeThreads, long capacity) {
        this.runtime = runtime;
        this.id = id;
        this.capacity = capacity;
        this.pool = new ComputePool("tandem-host" + id + "-compute", computeThreads);
        this.kernels = new HostKernels(this, runtime.gemm());
        // Closing an arena costs a handshake with every thread; do it off the streams' threads.
        this.releaser = java.util.concurrent.Executors.newSingleThreadExecutor(
                r -> Thread.ofPlatform().name("tandem-host" + id + "-release").daemon(true).unstarted(r));
        this.registration = LeakTracker.global().track(name());
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return "host:" + id;
    }

    @Override
    public MemoryInfo memoryInfo() {
        checkOpen();
        drainReleases();
        return new MemoryInfo(capacity - used.get(), capacity);
    }

    @Override
    public TandemRuntime runtime() {
        return runtime;
    }

    HostRuntime hostRuntime() {
        return runtime;
    }

    @Override
    public Stream createStream(StreamOptions options) {
        checkOpen();
        Objects.requireNonNull(options, "options");
        HostStream stream = new HostStream(this, options);
        streams.add(stream);
        return stream;
    }

    @Override
    public Event createEvent(EventOptions options) {
        checkOpen();
        Objects.requireNonNull(options, "options");
        HostEvent event = new HostEvent(this, options.timing());
        events.add(event);
        return event;
    }

    @Override
    public DeviceBuffer allocate(long bytes, Stream stream) {
        checkOpen();
        if (bytes <= 0) {
            throw new InvalidArgumentException("allocation size must be positive, got " + bytes + " bytes");
        }
        HostStream owner = ownStream(stream, "allocate");
        if (bytes > capacity - used.get()) {
            drainReleases();   // memory whose uses have finished may still be on its way back
        }
        long now;
        do {
            now = used.get();
            if (bytes > capacity - now) {
                throw new DeviceOutOfMemoryException("cannot allocate " + bytes + " bytes on " + name() + ": "
                        + (capacity - now) + " of " + capacity + " bytes free");
            }
        } while (!used.compareAndSet(now, now + bytes));
        try {
            HostBuffer buffer = new HostBuffer(this, owner, bytes);
            buffers.add(buffer);
            return buffer;
        } catch (OutOfMemoryError e) {
            used.addAndGet(-bytes);
            throw new DeviceOutOfMemoryException("the JVM could not allocate " + bytes + " bytes for " + name(), e);
        }
    }

    @Override
    public Kernels kernels() {
        checkOpen();
        return kernels;
    }

    @Override
    public void synchronize() {
        checkOpen();
        for (HostStream s : streams) {
            if (!s.isClosed()) {
                s.synchronize();
            }
        }
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Children in dependency order: collectives, then memory (stream-ordered frees), then streams (drain),
        // then the threads that return memory.
        List<Runnable> closes = new ArrayList<>();
        communicators.forEach(c -> closes.add(c::close));
        buffers.forEach(b -> closes.add(b::close));
        events.forEach(e -> closes.add(e::close));
        streams.forEach(st -> closes.add(st::close));
        closes.add(pool::close);
        closes.add(this::stopReleaser);
        try {
            dev.tandem.runtime.spi.Closer.runAll(closes);
        } finally {
            registration.release();
        }
    }

    private void stopReleaser() {
        releaser.shutdown();
        try {
            if (!releaser.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                throw new IllegalStateException("device " + name() + ": memory releases did not finish within a minute");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("device " + name() + " is closed");
        }
    }

    // ---- children bookkeeping ----

    void forget(HostStream stream) {
        streams.remove(stream);
    }

    void forget(HostEvent event) {
        events.remove(event);
    }

    void forget(HostBuffer buffer) {
        buffers.remove(buffer);
    }

    void adopt(HostCommunicator communicator) {
        communicators.add(communicator);
        rank = communicator.rank();
    }

    void forget(HostCommunicator communicator) {
        communicators.remove(communicator);
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** Where buffers whose uses have all finished give their memory back. */
    java.util.concurrent.Executor releaser() {
        return releaser;
    }

    /** Waits until every release that is already due has happened, so memory accounting is current. */
    private void drainReleases() {
        try {
            releaser.submit(() -> { }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.RejectedExecutionException e) {
            // nothing pending to wait for
        }
    }

    int rank() {
        return rank;
    }

    List<HostStream> streams() {
        return List.copyOf(streams);
    }

    /** A stream of this device, open, or a specific exception. */
    HostStream ownStream(Stream stream, String operation) {
        Objects.requireNonNull(stream, "stream");
        if (!(stream instanceof HostStream hs) || hs.device() != this) {
            throw new WrongDeviceException(operation + ": stream " + stream.name() + " does not belong to device " + name());
        }
        return hs;
    }

    /** A buffer of this device that is still open, or a specific exception. */
    HostBuffer ownBuffer(DeviceBuffer buffer, String operation) {
        Objects.requireNonNull(buffer, "buffer");
        if (!(buffer instanceof HostBuffer hb) || hb.device() != this) {
            throw new WrongDeviceException(operation + ": buffer on " + buffer.device().name()
                    + " used on device " + name());
        }
        hb.checkOpen(operation);
        return hb;
    }

    // ---- KernelLauncher ----

    @Override
    public void launch(Stream stream, String name, List<Tensor> reads, List<Tensor> writes, Runnable work) {
        HostStream s = ownStream(stream, name);
        List<HostBuffer> touched = new ArrayList<>(reads.size() + writes.size());
        for (Tensor t : reads) {
            touched.add(ownBuffer(t.buffer(), name));
        }
        for (Tensor t : writes) {
            touched.add(ownBuffer(t.buffer(), name));
        }
        s.enqueue(name, touched, work);
    }

    @Override
    public MemorySegment segment(DeviceBuffer buffer) {
        return ((HostBuffer) buffer).segment();
    }

    @Override
    public int computeThreads() {
        return pool.threads();
    }

    @Override
    public void parallelFor(int count, IntConsumer task) {
        pool.parallelFor(count, task);
    }

    @Override
    public String toString() {
        return name();
    }
}
