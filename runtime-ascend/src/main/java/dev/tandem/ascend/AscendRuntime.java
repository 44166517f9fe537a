package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.Check;
import dev.tandem.ascend.internal.AscendLibraries;
import dev.tandem.ascend.internal.NativeThreads;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.spi.Handle;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.trace.Tracer;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An opened Ascend runtime: {@code aclInit} (reference-counted across runtimes of this process), one
 * {@link AscendDevice} per visible device, and the tracer. {@code aclFinalize} runs when the last runtime of the
 * process closes (never from a shutdown hook), after every handle was destroyed; with
 * {@code -Dtandem.ascend.keepInitialized=true} it never runs (for CANN releases that cannot re-initialise).
 */
public final class AscendRuntime extends Handle implements TandemRuntime {
    private static final Object PROCESS_LOCK = new Object();
    private static int processRefs;

    private final List<AscendDevice> devices;
    private final Tracer tracer;
    private final boolean emulator;

    private AscendRuntime(RuntimeOptions options) {
        super("ascend runtime");
        NativeThreads.requirePlatformThread("opening the Ascend runtime");
        AscendLibraries.Discovery libs;
        try {
            libs = AscendLibraries.load();
        } catch (RuntimeException e) {
            abandon();
            throw e;
        }
        this.emulator = libs.emulator();
        this.tracer = new Tracer(options.tracing());
        acquireProcess();
        List<AscendDevice> opened = new ArrayList<>();
        try {
            int count = Acl.getDeviceCount();
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
            abandon();
            throw e;
        }
        this.devices = List.copyOf(opened);
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

    /**
     * Whether the libraries in use are the CPU test emulator rather than CANN.
     *
     * @return true for the emulator
     */
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
     * {@link HcclRendezvous} or {@link HcclCommunicator#rootInfo(AscendDevice)}). Blocks until every rank has joined
     * or the connect timeout passes ({@code HcclCommInitRootInfoConfig}).
     *
     * @param device   the device this rank runs on
     * @param rootInfo rank 0's root info, 4108 bytes
     * @param size     the number of ranks in the group
     * @param rank     this process's rank, {@code [0, size)}
     * @param options  the communicator's options (HCCL gets the connect timeout)
     * @return the communicator for this rank
     * @throws dev.tandem.runtime.InvalidArgumentException when {@code rootInfo} has the wrong length
     * @throws dev.tandem.runtime.OutOfRangeException when {@code rank} is not in {@code [0, size)}
     * @throws FeatureNotSupportedException when {@code options} sets a timeout other than the default and this HCCL
     *         cannot take one in its config
     * @throws HcclException when HCCL fails to create the communicator
     */
    public Communicator joinCommunicator(AscendDevice device, byte[] rootInfo, int size, int rank, CommunicatorOptions options) {
        ensureOpen();
        return HcclCommunicator.join(device, rootInfo, size, rank, options);
    }

    /**
     * Joins the group described by a rank table file (HCCL's cluster-info JSON, {@code HcclCommInitClusterInfo}) as
     * {@code rank}.
     *
     * @param device    the device this rank runs on
     * @param rankTable the rank table file; it is parsed first to check that it lists {@code rank}
     * @param rank      this process's rank in the table
     * @return the communicator for this rank
     * @throws dev.tandem.runtime.InvalidArgumentException when the file cannot be read, is not a valid rank table
     *         or does not list {@code rank}
     * @throws HcclException when HCCL fails to create the communicator
     */
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
            a.bind();
            if (!Acl.deviceCanAccessPeer(a.id(), b.id())) {
                throw Check.aclFeatureNotSupported("aclrtDeviceCanAccessPeer", "device " + a.id()
                        + " cannot access device " + b.id() + " directly; copy through host memory instead");
            }
            Acl.aclrtDeviceEnablePeerAccess(b.id(), 0);
            b.bind();
            Acl.aclrtDeviceEnablePeerAccess(a.id(), 0);
            peerPairs.add(key);
        }
    }

    @Override
    public Tracer tracer() {
        return tracer;
    }

    /** Devices in reverse order of creation, then the process-wide ACL initialisation. */
    @Override
    protected void release() {
        if (ReportThread.isCurrent()) {
            // Called from a host callback: its own stream cannot drain while it runs, so release elsewhere.
            Thread.ofPlatform().name("tandem-ascend-close-runtime").start(this::releaseDevices);
            return;
        }
        releaseDevices();
    }

    private void releaseDevices() {
        try {
            Closer.closeAll(devices.reversed());
        } finally {
            releaseProcess();
        }
    }

    void ensureOpen() {
        ensureOpen("the Ascend runtime");
    }

    @Override
    public String toString() {
        return "AscendRuntime[" + devices.size() + " device(s)" + (emulator ? ", emulator" : "") + "]";
    }
}
