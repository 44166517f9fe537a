package dev.tandem.runtime.sim;

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
import dev.tandem.runtime.host.HostKernels;
import dev.tandem.runtime.host.KernelLauncher;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.spi.DeviceChecks;
import dev.tandem.runtime.spi.Handle;
import dev.tandem.runtime.spi.KernelContract;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.function.IntConsumer;

/**
 * One simulated device. Its kernels are the host backend's kernel front end ({@link HostKernels} behind
 * {@link KernelContract}: the same validation and operation names), launched here as costed operations that compute nothing.
 */
final class SimDevice extends Handle implements Device, KernelLauncher {
    private final SimRuntime runtime;
    private final int id;
    private final long capacity;
    private final Kernels kernels;
    private final List<SimStream> streams = new CopyOnWriteArrayList<>();
    private final List<SimEvent> events = new CopyOnWriteArrayList<>();
    private final List<SimCommunicator> communicators = new CopyOnWriteArrayList<>();
    private SimBuffer buffers;   // head of the open buffers' list, guarded by the runtime lock
    private long used;
    private final MemoryTimeline memory = new MemoryTimeline();
    private long hostClock;
    /** Host time this device's next kernel loses to the host ({@link HardwareProfile#hostSteal()}), lock held. */
    private double stolenNanos;
    /** Operations issued at the profile's launch time, and the host's own time spent for this device (launches, zeroing). */
    private long issuedOperations;
    private double hostWorkNanos;
    /** The host thread's wake-ups, drawn in its program order (runtime lock held). */
    private final WakeUps hostWakes;
    /** The stream issued to since the host last really waited, and whether others were too (runtime lock held). */
    private SimStream issuedSinceWait;
    private boolean severalIssuedSinceWait;
    private Thread issuer;
    private final List<SimStream> engineStreams = new ArrayList<>();   // every stream ever created, lock held
    private final CommActivity commActivity = new CommActivity();
    /** Routing kernels issued so far (a recorded routing is replayed by this index). */
    private final AtomicLong routingCalls = new AtomicLong();
    private volatile int rank = -1;

    SimDevice(SimRuntime runtime, int id, long capacity) {
        super("sim:" + id);
        this.runtime = runtime;
        this.id = id;
        this.hostWakes = WakeUps.ofHost(id);
        this.capacity = capacity;
        this.kernels = KernelContract.wrap(new HostKernels(this));
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return "sim:" + id;
    }

    @Override
    public MemoryInfo memoryInfo() {
        checkOpen();
        long total = (long) (runtime.settings().profile().memoryGiB() * (1L << 30));
        synchronized (runtime.lock()) {
            return new MemoryInfo(Math.max(0, total - used), total);
        }
    }

    @Override
    public TandemRuntime runtime() {
        return runtime;
    }

    SimRuntime simRuntime() {
        return runtime;
    }

    @Override
    public Stream createStream(StreamOptions options) {
        Objects.requireNonNull(options, "options");
        SimStream s = adopt("createStream", streams, () -> new SimStream(this, options));
        synchronized (runtime.lock()) {
            engineStreams.add(s);
        }
        runtime.register(s);
        return s;
    }

    @Override
    public Event createEvent(EventOptions options) {
        Objects.requireNonNull(options, "options");
        return adopt("createEvent", events, () -> new SimEvent(this, options.timing()));
    }

    @Override
    public DeviceBuffer allocate(long bytes, Stream stream) {
        checkOpen();
        DeviceChecks.allocation(bytes, stream);
        SimStream owner = ownStream(stream, "allocate");
        synchronized (runtime.lock()) {
            if (bytes > capacity - used) {
                throw new DeviceOutOfMemoryException("cannot allocate " + bytes + " bytes on " + name() + ": "
                        + (capacity - used) + " of " + capacity + " bytes free");
            }
            used += bytes;
            memory.add(hostClock, bytes, floor());
            HardwareProfile profile = runtime.settings().profile();
            if (profile.hostSteal() > 0) {
                // where the host's CPU runs the devices, the allocating thread zeroes the buffer in host memory
                // (an accelerator's memset runs on the device: microseconds per step, not modelled)
                chargeHost(bytes / profile.hbmGBps(), profile);
            }
            SimBuffer buffer = new SimBuffer(this, owner, bytes, bytes <= runtime.settings().dataBytesLimit());
            buffer.next = buffers;
            if (buffers != null) {
                buffers.previous = buffer;
            }
            buffers = buffer;
            return buffer;
        }
    }

    void release(SimBuffer buffer) {
        synchronized (runtime.lock()) {
            // called once per buffer (its close is idempotent)
            if (buffer.previous != null) {
                buffer.previous.next = buffer.next;
            } else if (buffers == buffer) {
                buffers = buffer.next;
            } else {
                return;
            }
            if (buffer.next != null) {
                buffer.next.previous = buffer.previous;
            }
            buffer.previous = null;
            buffer.next = null;
            used -= buffer.byteSize();
            // a stream-ordered release takes effect when the engine resolves it, a direct one on the host's clock
            long at = runtime.resolvingAt();
            memory.add(at >= 0 ? at : hostClock, -buffer.byteSize(), floor());
        }
    }

    /** No operation of this device can start before this: its host clock and its busy streams' clocks. */
    long floor() {
        long floor = hostClock;
        for (SimStream s : engineStreams) {
            if (!s.isEmptyQueue()) {
                floor = Math.min(floor, s.clock());
            }
        }
        return floor;
    }

    /** The peak of allocated bytes over virtual time since the last reset (see {@link MemoryTimeline}). */
    long peakBytes() {
        synchronized (runtime.lock()) {
            return memory.peak();
        }
    }

    long usedBytes() {
        synchronized (runtime.lock()) {
            return used;
        }
    }

    void resetPeak() {
        synchronized (runtime.lock()) {
            memory.reset();
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
        List<SimBuffer> open = new ArrayList<>();
        synchronized (runtime.lock()) {
            for (SimBuffer b = buffers; b != null; b = b.next) {
                open.add(b);
            }
        }
        Closer.runAll(Closer.deviceChildren(communicators, open, events, streams));
    }

    void checkOpen() {
        ensureOpen("device " + name());
    }

    /** Routing calls issued so far (a rehearsal rewinds them, so the run after it routes the same tokens). */
    long routingCalls() {
        return routingCalls.get();
    }

    void rewindRoutingCalls(long calls) {
        routingCalls.set(calls);
    }

    // ---- host clock (guarded by the runtime lock) ----

    /** The host's virtual time for the thread driving this device. */
    long hostClock() {
        return hostClock;
    }

    /**
     * Charges one operation issue on {@code stream} to the host and returns the time the operation becomes available.
     */
    long issue(SimStream stream, boolean charged) {
        if (issuedSinceWait == null) {
            issuedSinceWait = stream;
        } else if (issuedSinceWait != stream) {
            severalIssuedSinceWait = true;
        }
        issuer = Thread.currentThread();
        if (charged) {
            HardwareProfile profile = runtime.settings().profile();
            issuedOperations++;
            chargeHost(profile.launchMicros() * 1e3, profile);
        }
        return hostClock;
    }

    /** The host spends {@code nanos} on this device's behalf; its next kernel loses the profile's share of it. */
    private void chargeHost(double nanos, HardwareProfile profile) {
        hostClock += Math.round(nanos);
        hostWorkNanos += nanos;
        stolenNanos += nanos * profile.hostSteal();
    }

    /** Operations issued for this device so far (runtime lock held). */
    long issuedOperations() {
        return issuedOperations;
    }

    /** The host's own time spent for this device so far: issuing operations and zeroing new buffers (runtime lock held). */
    double hostWorkNanos() {
        return hostWorkNanos;
    }

    /** The host time the next kernel loses, reset to none (runtime lock held). */
    double takeStolenNanos() {
        double stolen = stolenNanos;
        stolenNanos = 0;
        return stolen;
    }

    /** {@code thread} waits for this device: it is the one that issues next. */
    void claim(Thread thread) {
        issuer = thread;
    }

    /** The thread that issued or waited last for this device (null before any). */
    Thread issuer() {
        return issuer;
    }

    /** Every stream of this device the engine resolves, closed ones included. */
    List<SimStream> engineStreams() {
        return engineStreams;
    }

    /** When this device communicated, and the stretch its kernels got from it. */
    CommActivity commActivity() {
        return commActivity;
    }

    /**
     * The host blocked until {@code time} for a position of {@code waited} (null: of another device). When it really
     * waited (the time is past its clock) while the device had work on other streams, it issues again only after
     * waking up ({@link HardwareProfile#hostWakeMicros()}): the wake-up is the host thread waiting for a core the
     * device's concurrent work occupies (it is measured with every rank computing), which a host that waited for the
     * device's only busy stream does not. "Other streams" are those issued to since the host last really waited:
     * the host's own program order, so the charge does not depend on thread timing.
     */
    void hostWaitedUntil(long time, SimStream waited) {
        if (time > hostClock) {
            boolean concurrent = severalIssuedSinceWait || (issuedSinceWait != null && issuedSinceWait != waited);
            hostClock = time + (concurrent ? hostWakes.nanos(runtime.settings().profile().hostWakeMicros()) : 0);
            issuedSinceWait = null;
            severalIssuedSinceWait = false;
        }
    }

    // ---- bookkeeping ----

    void forget(SimStream s) {
        streams.remove(s);   // the runtime keeps resolving what it had enqueued
    }

    void forget(SimEvent e) {
        events.remove(e);
    }

    void adopt(SimCommunicator c) {
        communicators.add(c);
        rank = c.rank();
    }

    int rank() {
        return rank;
    }

    SimStream ownStream(Stream stream, String operation) {
        Objects.requireNonNull(stream, "stream");
        if (!(stream instanceof SimStream s) || s.device() != this) {
            throw new WrongDeviceException(operation + ": stream " + stream.name() + " does not belong to device " + name());
        }
        return s;
    }

    SimBuffer ownBuffer(DeviceBuffer buffer, String operation) {
        Objects.requireNonNull(buffer, "buffer");
        if (!(buffer instanceof SimBuffer b) || b.device() != this) {
            throw new WrongDeviceException(operation + ": buffer on " + buffer.device().name() + " used on device " + name());
        }
        b.checkOpen(operation);
        return b;
    }

    // ---- KernelLauncher: validated kernels become costed operations ----

    @Override
    public void launch(Stream stream, String name, List<Tensor> reads, List<Tensor> writes, Runnable work) {
        enqueue(stream, name, reads, writes, () -> runtime.costs().kernelNanos(name, reads, writes));
    }

    @Override
    public void launchAttention(Stream stream, List<Tensor> reads, List<Tensor> writes, long causalOffset,
                                Runnable work) {
        enqueue(stream, "attention", reads, writes,
                () -> runtime.costs().attentionNanos(reads, writes.get(0), causalOffset));
    }

    @Override
    public void launchDecodeAttention(Stream stream, Tensor q, Tensor qRope, List<Tensor> keys, List<Tensor> kRopes,
                                      List<Tensor> values, Tensor out, Runnable work) {
        enqueue(stream, "decodeAttention", KernelLauncher.decodeAttentionReads(q, qRope, keys, kRopes, values),
                List.of(out),
                () -> runtime.costs().decodeAttentionNanos(q, qRope, keys, kRopes, values, out));
    }

    private void enqueue(Stream stream, String name, List<Tensor> reads, List<Tensor> writes, DoubleSupplier cost) {
        SimStream s = ownStream(stream, name);
        for (Tensor t : reads) {
            ownBuffer(t.buffer(), name);
        }
        for (Tensor t : writes) {
            ownBuffer(t.buffer(), name);
        }
        s.enqueueWork(name, cost.getAsDouble(), name.equals("moeDispatch") ? routedCounts(reads, writes) : null,
                SimStream.COMPUTE);
    }

    /**
     * {@code moeDispatch} on a data-less device: the per-expert counts it writes (what sizes the all-to-all-v) come
     * from the runtime's routing model; nothing is sorted.
     */
    private Runnable routedCounts(List<Tensor> reads, List<Tensor> writes) {
        Tensor counts = writes.get(2);
        SimBuffer b = (SimBuffer) counts.buffer();
        if (b.byteSize() > runtime.settings().dataBytesLimit()) {
            return null;
        }
        int[] c = runtime.routing().counts(id, routingCalls.getAndIncrement(), Math.toIntExact(reads.get(0).dim(0)),
                Math.toIntExact(reads.get(1).dim(1)), Math.toIntExact(counts.numel()));
        return () -> MemorySegment.copy(c, 0, b.writableData(), java.lang.foreign.ValueLayout.JAVA_INT,
                counts.byteOffset(), c.length);
    }

    @Override
    public MemorySegment segment(DeviceBuffer buffer) {
        throw new UnsupportedOperationException("simulated kernels do not compute");
    }

    @Override
    public int computeThreads() {
        return 1;
    }

    @Override
    public void parallelFor(int count, IntConsumer task) {
        throw new UnsupportedOperationException("simulated kernels do not compute");
    }

    @Override
    public String toString() {
        return name();
    }
}
