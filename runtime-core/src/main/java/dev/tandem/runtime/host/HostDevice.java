package dev.tandem.runtime.host;

import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.DeviceOutOfMemoryException;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.EventOptions;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.MemoryInfo;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.spi.DeviceChecks;
import dev.tandem.runtime.spi.Handle;
import dev.tandem.runtime.spi.KernelContract;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/** One emulated device: owns its streams, events, buffers and the threads its kernels may use. */
final class HostDevice extends Handle implements Device, KernelLauncher {
    private final HostRuntime runtime;
    private final int id;
    private final long capacity;
    private final AtomicLong used = new AtomicLong();
    private final ComputePool pool;
    private final Kernels kernels;
    private final List<HostStream> streams = new CopyOnWriteArrayList<>();
    private final List<HostEvent> events = new CopyOnWriteArrayList<>();
    private final List<HostBuffer> buffers = new CopyOnWriteArrayList<>();
    private final List<HostCommunicator> communicators = new CopyOnWriteArrayList<>();
    private volatile int rank = -1;
    private final ExecutorService releaser;
    private final HostMemoryCache cache = new HostMemoryCache();

    HostDevice(HostRuntime runtime, int id, int computeThreads, long capacity) {
        super("host:" + id);
        this.runtime = runtime;
        this.id = id;
        this.capacity = capacity;
        this.pool = new ComputePool("tandem-host" + id + "-compute", computeThreads);
        this.kernels = KernelContract.wrap(new HostKernels(this, runtime.gemm()));
        // Frees wait for their streams off the streams' threads.
        this.releaser = Executors.newSingleThreadExecutor(
                r -> Thread.ofPlatform().name("tandem-host" + id + "-release").daemon(true).unstarted(r));
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
        Objects.requireNonNull(options, "options");
        return adopt("createStream", streams, () -> new HostStream(this, options));
    }

    @Override
    public Event createEvent(EventOptions options) {
        Objects.requireNonNull(options, "options");
        return adopt("createEvent", events, () -> new HostEvent(this, options.timing()));
    }

    @Override
    public DeviceBuffer allocate(long bytes, Stream stream) {
        checkOpen();
        DeviceChecks.allocation(bytes, stream);
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
            HostBuffer buffer = new HostBuffer(this, owner, bytes, cache.take(bytes, capacity));
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
        Closer.synchronizeAll(streams);
    }

    @Override
    protected void release() {
        // Children in dependency order: collectives, then memory (stream-ordered frees), then streams (drain),
        // then the threads that return memory.
        List<Runnable> closes = Closer.deviceChildren(communicators, buffers, events, streams);
        closes.add(pool::close);
        closes.add(this::stopReleaser);
        closes.add(cache::close);
        Closer.runAll(closes);
    }

    private void stopReleaser() {
        releaser.shutdown();
        try {
            if (!releaser.awaitTermination(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("device " + name() + ": memory releases did not finish within a minute");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void checkOpen() {
        ensureOpen("device " + name());
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

    /** A buffer's memory is free: its block goes to the cache for the next allocation of its size class. */
    void release(long bytes, HostMemoryCache.Block block) {
        cache.give(block);
        used.addAndGet(-bytes);
    }

    /** Bytes of freed memory kept for reuse (tests). */
    long cachedBytes() {
        return cache.cachedBytes();
    }

    /** Where buffers whose uses have all finished give their memory back. */
    Executor releaser() {
        return releaser;
    }

    /** Waits until every release that is already due has happened, so memory accounting is current. */
    private void drainReleases() {
        try {
            releaser.submit(() -> { }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | RejectedExecutionException e) {
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
