package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.AscendLibraries;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.NativeThreads;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.trace.Tracer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An opened Ascend runtime: {@code aclInit} (reference-counted across runtimes of this process), one
 * {@link AscendDevice} per visible device, and the tracer. {@code aclFinalize} runs when the last runtime of the
 * process closes (never from a shutdown hook), after every handle was destroyed; with
 * {@code -Dtandem.ascend.keepInitialized=true} it never runs (for CANN releases that cannot re-initialise).
 */
public final class AscendRuntime implements TandemRuntime {
    private static final Object PROCESS_LOCK = new Object();
    private static int processRefs;

    private final List<AscendDevice> devices;
    private final Tracer tracer;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LeakTracker.Registration registration;
    private final boolean emulator;

    private AscendRuntime(RuntimeOptions options) {
        NativeThreads.requirePlatformThread("opening the Ascend runtime");
        AscendLibraries.Discovery libs = AscendLibraries.load();
        this.emulator = libs.emulator();
        this.tracer = new Tracer(options.tracing());
        acquireProcess();
        List<AscendDevice> opened = new ArrayList<>();
        try {
            int count;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment n = arena.allocate(ValueLayout.JAVA_INT);
                Acl.aclrtGetDeviceCount(n);
                count = n.get(ValueLayout.JAVA_INT, 0);
            }
            int wanted = options.deviceCount() == 0 ? count : options.deviceCount();
            if (wanted > count) {
                throw new InvalidArgumentException("asked for " + wanted + " Ascend devices but " + count + " are visible"
                        + " (ASCEND_RT_VISIBLE_DEVICES limits the visible set)");
            }
            for (int i = 0; i < wanted; i++) {
                opened.add(new AscendDevice(this, i));
            }
        } catch (RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                opened.get(i).close();
            }
            releaseProcess();
            throw e;
        }
        this.devices = List.copyOf(opened);
        this.registration = LeakTracker.global().track("ascend runtime with " + devices.size() + " device(s)");
    }

    static AscendRuntime open(RuntimeOptions options) {
        return new AscendRuntime(options);
    }

    private static void acquireProcess() {
        synchronized (PROCESS_LOCK) {
            if (processRefs == 0) {
                Acl.aclInit(MemorySegment.NULL);
            }
            processRefs++;
        }
    }

    private static void releaseProcess() {
        synchronized (PROCESS_LOCK) {
            if (--processRefs == 0 && !Boolean.getBoolean("tandem.ascend.keepInitialized")) {
                Acl.aclFinalize();
            }
        }
    }

    /** True when the libraries in use are the CPU test emulator rather than CANN. */
    public boolean isEmulator() {
        return emulator;
    }

    @Override
    public String backendName() {
        return AscendBackend.NAME;
    }

    @Override
    public List<Device> devices() {
        ensureOpen();
        return List.copyOf(devices);
    }

    @Override
    public List<Communicator> createCommunicators(List<Device> group, CommunicatorOptions options) {
        ensureOpen();
        List<AscendDevice> members = new ArrayList<>();
        for (Device d : group) {
            if (!(d instanceof AscendDevice ad) || ad.runtime() != this) {
                throw new WrongDeviceException(d + " does not belong to this Ascend runtime");
            }
            if (members.contains(ad)) {
                throw new InvalidArgumentException("device " + ad.id() + " appears twice in the communicator group");
            }
            members.add(ad);
        }
        if (members.isEmpty()) {
            throw new InvalidArgumentException("a communicator group needs at least one device");
        }
        return List.copyOf(HcclCommunicator.createGroup(members, options));
    }

    /**
     * Joins a multi-process group as {@code rank} of {@code size}, using rank 0's root info (from
     * {@link HcclRendezvous} or {@link HcclCommunicator#rootInfo(AscendDevice)}).
     */
    public Communicator joinCommunicator(AscendDevice device, byte[] rootInfo, int size, int rank, CommunicatorOptions options) {
        ensureOpen();
        return HcclCommunicator.join(device, rootInfo, size, rank, options);
    }

    /** Joins the group described by a rank table file (HCCL's cluster-info JSON) as {@code rank}. */
    public Communicator joinCommunicator(AscendDevice device, Path rankTable, int rank) {
        ensureOpen();
        RankTable.load(rankTable).rank(rank);
        return HcclCommunicator.fromRankTable(device, rankTable, rank);
    }

    private final java.util.Set<Long> peerPairs = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Enables peer access between two devices in both directions, once: CANN needs it before a device-to-device copy
     * across devices. Throws {@link FeatureNotSupportedException} when the devices cannot reach each other.
     */
    void enablePeerAccess(AscendDevice a, AscendDevice b) {
        long key = (long) Math.min(a.id(), b.id()) << 32 | Math.max(a.id(), b.id());
        if (peerPairs.contains(key)) {
            return;
        }
        synchronized (peerPairs) {
            if (peerPairs.contains(key)) {
                return;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment can = arena.allocate(ValueLayout.JAVA_INT);
                a.bind();
                Acl.aclrtDeviceCanAccessPeer(can, a.id(), b.id());
                if (can.get(ValueLayout.JAVA_INT, 0) != 1) {
                    throw new FeatureNotSupportedException("aclrtDeviceCanAccessPeer", Acl.ACL_ERROR_RT_FEATURE_NOT_SUPPORT(),
                            "ACL_ERROR_RT_FEATURE_NOT_SUPPORT", "device " + a.id() + " cannot access device " + b.id()
                            + " directly; copy through host memory instead");
                }
                Acl.aclrtDeviceEnablePeerAccess(b.id(), 0);
                b.bind();
                Acl.aclrtDeviceEnablePeerAccess(a.id(), 0);
            }
            peerPairs.add(key);
        }
    }

    @Override
    public Tracer tracer() {
        return tracer;
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Closes every device, then {@code aclFinalize} if this was the process's last runtime. Called from a host
     * callback, the close runs on another thread (the callback's own stream cannot drain while it runs) and this
     * call returns at once.
     */
    @Override
    public void close() {
        if (ReportThread.isCurrent()) {
            if (!closed.get()) {
                Thread.ofPlatform().name("tandem-ascend-close-runtime").start(this::close);
            }
            return;
        }
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<Runnable> closes = new ArrayList<>();
        for (int i = devices.size() - 1; i >= 0; i--) {
            closes.add(devices.get(i)::close);
        }
        try {
            Closer.runAll(closes);
        } finally {
            registration.release();
            releaseProcess();
        }
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the Ascend runtime is closed");
        }
    }

    @Override
    public String toString() {
        return "AscendRuntime[" + devices.size() + " device(s)" + (emulator ? ", emulator" : "") + "]";
    }
}
