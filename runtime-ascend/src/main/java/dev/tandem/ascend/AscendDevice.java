package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.Malloc;
import dev.tandem.ascend.internal.MallocPolicy;
import dev.tandem.ascend.internal.MemAttr;
import dev.tandem.ascend.internal.MemInfo;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.NativeThreads;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.DeviceOutOfMemoryException;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.EventOptions;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.MemoryInfo;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.spi.Handle;
import dev.tandem.runtime.spi.KernelContract;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One NPU: an explicit ACL context and every stream, event, buffer and communicator created on it. Native calls bind the context to the calling (platform) thread first.
 */
public final class AscendDevice extends Handle implements Device {
    private static final ThreadLocal<AscendDevice> BOUND = new ThreadLocal<>();

    private final AscendRuntime runtime;
    private final int id;
    private final String name;
    private final MemorySegment context;
    private final AscendKernels kernels;
    private final Kernels checkedKernels;
    private final Set<AscendStream> streams = ConcurrentHashMap.newKeySet();
    private final Set<AscendEvent> events = ConcurrentHashMap.newKeySet();
    private final Set<AscendBuffer> buffers = ConcurrentHashMap.newKeySet();
    private final Set<HcclCommunicator> communicators = ConcurrentHashMap.newKeySet();
    /** HCCL requires the operations of one device to be launched one at a time. */
    final Object hcclLock = new Object();
    private final EventPool eventPool = new EventPool(this);
    private final DeferredFrees deferredFrees = new DeferredFrees(this, eventPool);
    private final PinnedPool pinnedPool = new PinnedPool(this);

    AscendDevice(AscendRuntime runtime, int id) {
        Acl.aclrtSetDevice(id);
        MemorySegment created = Acl.createContext(id);
        super("ascend device " + id);
        this.runtime = runtime;
        this.id = id;
        this.context = created;
        BOUND.set(this);
        String soc = Check.string(Acl.Raw.aclrtGetSocName());
        this.name = (soc.isEmpty() ? "Ascend" : soc) + ":" + id;
        this.kernels = new AscendKernels(this);
        this.checkedKernels = KernelContract.wrap(kernels);
    }

    /** Makes this device's context current on the calling thread (a platform thread). */
    void bind() {
        NativeThreads.requirePlatformThread("Ascend device work");
        if (BOUND.get() != this) {
            Acl.aclrtSetCurrentContext(context);
            BOUND.set(this);
        }
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MemoryInfo memoryInfo() {
        ensureOpen();
        bind();
        MemInfo info = Acl.getMemInfo(MemAttr.HBM);
        return new MemoryInfo(info.free(), info.total());
    }

    @Override
    public AscendRuntime runtime() {
        return runtime;
    }

    @Override
    public Stream createStream(StreamOptions options) {
        Objects.requireNonNull(options, "options");
        ensureOpen();
        bind();
        AscendStream s = new AscendStream(this, options);
        streams.add(s);
        return s;
    }

    @Override
    public Event createEvent(EventOptions options) {
        Objects.requireNonNull(options, "options");
        ensureOpen();
        bind();
        AscendEvent e = new AscendEvent(this, options.timing());
        events.add(e);
        return e;
    }

    @Override
    public DeviceBuffer allocate(long bytes, Stream stream) {
        return allocate(bytes, stream(stream), true);
    }

    /** Allocates on {@code s}; {@code zeroed} = false for scratch memory such as operator workspaces. */
    AscendBuffer allocate(long bytes, AscendStream s, boolean zeroed) {
        ensureOpen();
        if (bytes <= 0) {
            throw new InvalidArgumentException("buffer size must be positive, got " + bytes);
        }
        s.ensureUsable();
        bind();
        deferredFrees.reclaim();
        Malloc m = Acl.Raw.malloc(bytes, MallocPolicy.HUGE_FIRST);
        if (m.outOfMemory() && deferredFrees.size() > 0) {
            // Memory whose free is still waiting for device work: wait for it, then try once more.
            deferredFrees.drain();
            m = Acl.Raw.malloc(bytes, MallocPolicy.HUGE_FIRST);
        }
        if (m.code() != 0) {
            AclException e = Check.aclError("aclrtMalloc", m.code());
            if (m.outOfMemory()) {
                throw new DeviceOutOfMemoryException("device " + id + " cannot allocate " + bytes + " bytes", e);
            }
            throw e;
        }
        AscendBuffer b = new AscendBuffer(this, s, m.pointer().address(), bytes);
        buffers.add(b);
        if (!zeroed) {
            return b;
        }
        // aclrtMalloc leaves memory uninitialised; Tandem buffers start zeroed. The memory is new, so a
        // synchronous memset cannot race with any stream, and the buffer is ready when allocate returns.
        int zrc = Acl.Raw.aclrtMemset(b.pointer(0), bytes, 0, bytes);
        if (zrc != 0) {
            b.close();
            throw Check.aclError("aclrtMemset", zrc);
        }
        return b;
    }

    EventPool eventPool() {
        return eventPool;
    }

    DeferredFrees deferredFrees() {
        return deferredFrees;
    }

    PinnedPool pinnedPool() {
        return pinnedPool;
    }

    @Override
    public Kernels kernels() {
        ensureOpen();
        return checkedKernels;
    }

    /**
     * Ascend-only operators for mixture-of-experts layers (grouped matmul, routing and its inverse).
     *
     * @return the operators for this device
     */
    public AscendMoeKernels moeKernels() {
        ensureOpen();
        return new AscendMoeKernels(kernels);
    }

    @Override
    public void synchronize() {
        ensureOpen();
        List<Runnable> syncs = new ArrayList<>();
        for (AscendStream s : new ArrayList<>(streams)) {
            syncs.add(s::synchronize);
        }
        Closer.runAll(syncs);
    }

    /**
     * Drains every stream, then destroys communicators, buffers, streams and events, stops the report thread
     * and releases the context. Idempotent.
     */
    @Override
    protected void release() {
        if (ReportThread.isCurrent()) {
            // A callback's own stream cannot drain while the callback runs: release on another thread.
            Thread.ofPlatform().name("tandem-ascend-close-device-" + id).start(this::releaseChildren);
            return;
        }
        releaseChildren();
    }

    private void releaseChildren() {
        bind();
        for (AscendStream s : new ArrayList<>(streams)) {
            s.drainQuietly();
        }
        // Keep closing the rest: one failing child must not leak its siblings or the context.
        List<Runnable> steps = Closer.deviceChildren(communicators, buffers, events, streams);
        steps.add(kernels::close);
        steps.add(deferredFrees::drain);
        steps.add(pinnedPool::close);
        steps.add(() -> Check.acl("aclrtDestroyEvent", eventPool.destroyAll()));
        steps.add(this::releaseContext);
        Closer.runAll(steps);
    }

    private void releaseContext() {
        bind();
        int rc = Acl.Raw.aclrtDestroyContext(context);
        BOUND.remove();
        int rc2 = Acl.Raw.aclrtResetDevice(id);
        Check.acl("aclrtDestroyContext", rc);
        Check.acl("aclrtResetDevice", rc2);
    }

    /** True once close has started: children then free synchronously instead of through stream callbacks. */
    boolean isClosedForWork() {
        return isClosed();
    }

    void ensureOpen() {
        ensureOpen("Ascend device " + id);
    }

    /** The stream as one of this device's open streams. */
    AscendStream stream(Stream stream) {
        Objects.requireNonNull(stream, "stream");
        if (!(stream instanceof AscendStream s)) {
            throw new WrongDeviceException(stream + " is not an Ascend stream");
        }
        if (s.device() != this) {
            throw new WrongDeviceException("stream '" + s.name() + "' belongs to device " + s.device().id()
                    + ", not device " + id);
        }
        s.ensureOpen();
        return s;
    }

    void forget(AscendStream s) {
        streams.remove(s);
    }

    void forget(AscendEvent e) {
        events.remove(e);
    }

    void forget(AscendBuffer b) {
        buffers.remove(b);
    }

    void adopt(HcclCommunicator c) {
        communicators.add(c);
    }

    void forget(HcclCommunicator c) {
        communicators.remove(c);
    }

    MemorySegment context() {
        return context;
    }

    @Override
    public String toString() {
        return "AscendDevice[" + name + "]";
    }
}
