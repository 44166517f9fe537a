package dev.tandem.runtime.sim;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.spi.Closer;
import dev.tandem.runtime.spi.Handle;
import dev.tandem.runtime.trace.Tracer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A simulated machine: devices whose operations take virtual time from a {@link CostModel}. Operations resolve
 * (get a start and end on their stream's virtual clock) in a discrete-event fashion as soon as what they wait
 * for is known: the previous operation of their stream, the events they wait on, and for collectives the arrival
 * of every rank. Host-blocking calls advance the calling device's host clock. One lock orders everything, so
 * the timeline does not depend on thread timing.
 *
 * <p>With a profile whose {@link HardwareProfile#commSlowdown()} {@code k} is above 0, a kernel progresses at
 * {@code 1 / (1 + k)} of its speed while its device communicates (a collective from the rank's arrival to its end,
 * on any stream of the device; point-to-point transfers and copies to other devices too). Its end is then known
 * only once the device's communication up to that end is known, so it is deferred until then: until the device's
 * other streams have advanced past it and its host thread has issued past it or blocks on virtual time. The
 * result does not depend on thread timing as long as one host thread issues for a device at a time;
 * {@link #contentionNanos(int)} tells how much longer kernels took. With {@code k = 0} every operation ends as soon
 * as it can start.
 *
 * <p>Tracer spans carry virtual nanoseconds, so {@code OverlapReport} and Chrome traces work unchanged.
 *
 * <p>Differences from a real backend: host callbacks run on whichever thread resolves them (under the engine's
 * lock), so a callback must not block waiting for another thread; there is no real time, so
 * {@code Stream.synchronize(Duration)} only fails on collectives a rank never joins.
 */
public final class SimRuntime extends Handle implements TandemRuntime {
    private final SimSettings settings;
    private final CostModel costs;
    private final Tracer tracer;
    private final List<SimDevice> devices = new ArrayList<>();
    private final List<SimStream> streams = new CopyOnWriteArrayList<>();
    private final List<SimCommunicator> communicators = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final List<SimGroup> groups = new ArrayList<>();
    private boolean wake;   // guarded by the lock: a stream reached a position a host thread waits for
    private final Contention contention;   // null when the profile's comm.slowdown is 0
    private final ComputeSharing sharing;   // null when the devices do not share compute (or there is one)
    private int pumping;   // guarded by the lock: nesting of pump on the thread holding it
    private long activity;   // guarded by the lock: issues, waits and polls so far
    private long resolvingAt = -1;   // guarded by the lock: virtual time of the operation whose action runs now

    /**
     * Opens {@code options.deviceCount()} simulated devices (default: one node of the profile).
     *
     * @param options  device count, per-device memory (unlimited when 0) and tracing
     * @param settings what the simulation models
     */
    public SimRuntime(RuntimeOptions options, SimSettings settings) {
        super("sim runtime");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.costs = new CostModel(settings.profile(), settings.linearDType());
        this.tracer = new Tracer(options.tracing());
        double slowdown = settings.profile().commSlowdown();
        this.contention = slowdown > 0 ? new Contention(this, slowdown) : null;
        int count = options.deviceCount() > 0 ? options.deviceCount() : settings.profile().devicesPerNode();
        long capacity = options.deviceMemoryBytes() > 0 ? options.deviceMemoryBytes() : Long.MAX_VALUE / 4;
        for (int i = 0; i < count; i++) {
            devices.add(new SimDevice(this, i, capacity));
        }
        double alone = settings.profile().aloneSpeedup();
        this.sharing = alone > 0 && count > 1 ? new ComputeSharing(alone, count) : null;
    }

    @Override
    public String backendName() {
        return SimBackend.NAME;
    }

    /**
     * What this runtime models.
     *
     * @return the settings
     */
    public SimSettings settings() {
        return settings;
    }

    /**
     * The costs every operation is charged with.
     *
     * @return the cost model
     */
    public CostModel costs() {
        return costs;
    }

    /**
     * The routing model data-less layers take their expert counts from.
     *
     * @return the routing model of the settings
     */
    public RoutingModel routing() {
        return settings.routing();
    }

    @Override
    public List<Device> devices() {
        return List.copyOf(devices);
    }

    @Override
    public List<Communicator> createCommunicators(List<Device> members, CommunicatorOptions options) {
        return createCommunicators(members, options, members.size());
    }

    /**
     * A communicator group of {@code groupSize} ranks of which only the first {@code members.size()} are simulated
     * (a representative subset): each member gets a communicator whose {@code size()} is {@code groupSize} and
     * whose rank is its index in {@code members}. The ranks from {@code members.size()} to {@code groupSize - 1}
     * are virtual: virtual rank {@code v} behaves exactly as simulated rank {@code v % members.size()}, with the same
     * payloads and the same arrival time, so a collective round completes when the simulated ranks have arrived.
     *
     * <ul>
     *   <li>Every collective is costed at {@code groupSize} ranks ({@link CostModel#collectiveNanos}: in-node or
     *       across nodes, the all-to-all bandwidth of that group size) with the wire bytes of a {@code groupSize}
     *       group, so a simulated rank's timeline is the one it has in the full group.</li>
     *   <li>All-gathers fill a virtual rank's part of the output from its mirror's input; a broadcast from a virtual
     *       root sends its mirror's buffer.</li>
     *   <li>All-to-all-v counts are checked only where both sides are known: what each simulated rank expects from
     *       every rank {@code r} must equal what rank {@code r}'s mirror sends it. What virtual ranks expect to
     *       receive is not known and not checked.</li>
     * </ul>
     *
     * <p>This is valid only under symmetry: when every rank of the real group would issue the same operations with
     * the same sizes and the same data-carrying payloads as its mirror (the same batch on every rank, and routing that
     * gives every rank the same expert load). Nothing here can verify that; a caller must establish it. Otherwise
     * the timeline is that of a group whose every rank behaves like the simulated ones, not the real group's.
     *
     * @param members   the simulated ranks' devices, in rank order
     * @param options   communicator options
     * @param groupSize ranks of the modelled group; a multiple of {@code members.size()} (equal: every rank is
     *                  simulated)
     * @return one communicator per member, rank {@code i} on {@code members.get(i)}
     * @throws InvalidArgumentException if {@code members} is empty or repeats a device, or {@code groupSize} is not a
     *         positive multiple of the member count
     * @throws WrongDeviceException if a member is not a device of this runtime
     */
    public List<Communicator> createCommunicators(List<Device> members, CommunicatorOptions options, int groupSize) {
        checkOpen();
        Objects.requireNonNull(options, "options");
        if (members.isEmpty()) {
            throw new InvalidArgumentException("a communicator group needs at least one device");
        }
        if (groupSize < members.size() || groupSize % members.size() != 0) {
            throw new InvalidArgumentException("a group of " + groupSize + " ranks cannot be represented by "
                    + members.size() + " simulated devices: the group size must be a multiple of the member count");
        }
        List<SimDevice> own = new ArrayList<>();
        for (Device d : members) {
            if (!(d instanceof SimDevice sd) || sd.simRuntime() != this) {
                throw new WrongDeviceException("device " + d.name() + " does not belong to this sim runtime");
            }
            if (own.contains(sd)) {
                throw new InvalidArgumentException("device " + d.name() + " appears twice in the group");
            }
            own.add(sd);
        }
        SimGroup group;
        synchronized (lock) {
            group = new SimGroup(this, groups.size(), groupSize, own.size(), options.timeout());
            groups.add(group);
        }
        List<Communicator> out = new ArrayList<>();
        for (int r = 0; r < own.size(); r++) {
            SimCommunicator c = new SimCommunicator(group, own.get(r), r);
            own.get(r).adopt(c);
            communicators.add(c);
            out.add(c);
        }
        return out;
    }

    @Override
    public Tracer tracer() {
        return tracer;
    }

    /**
     * Peak of allocated bytes on device {@code index} since it was opened (or last reset).
     *
     * @param index the device's index
     * @return bytes
     */
    public long peakBytes(int index) {
        return devices.get(index).peakBytes();
    }

    /**
     * Bytes allocated on device {@code index} now.
     *
     * @param index the device's index
     * @return bytes
     */
    public long usedBytes(int index) {
        return devices.get(index).usedBytes();
    }

    /**
     * Extra virtual time the kernels of device {@code index} took because communication ran on that device (the
     * profile's {@code comm.slowdown}; see the class comment), summed since the runtime opened. Read it before and
     * after a step for that step's figure.
     *
     * @param index the device's index
     * @return nanoseconds of stretch, 0 when the profile's slow-down is 0
     */
    public long contentionNanos(int index) {
        synchronized (lock) {
            return devices.get(index).commActivity().stretch();
        }
    }

    /**
     * Operations the host issued for device {@code index} at the profile's launch time ({@code launch.us}), counted
     * since the runtime opened. Read it before and after a step for that step's figure.
     *
     * @param index the device's index
     * @return operations issued
     */
    public long issuedOperations(int index) {
        synchronized (lock) {
            return devices.get(index).issuedOperations();
        }
    }

    /**
     * Virtual time the host spent on its own work for device {@code index} since the runtime opened: issuing
     * operations ({@code launch.us} each) and zeroing new buffers. A step whose host work approaches its length is
     * bound by the host, which no overlap of device streams hides.
     *
     * @param index the device's index
     * @return nanoseconds of host work
     */
    public long hostWorkNanos(int index) {
        synchronized (lock) {
            return Math.round(devices.get(index).hostWorkNanos());
        }
    }

    /**
     * Runs {@code step} as devices that share compute units run it ({@link HardwareProfile#aloneSpeedup()} above 0,
     * as the host's devices share the CPU), and returns what it returns. Such a device's kernel runs faster while
     * fewer other devices compute, which its own timeline cannot know when it resolves, so the step runs twice: a
     * rehearsal at the all-busy rates records when each device computes, then the step runs again and each kernel,
     * matched by its order of issue on its device, costs what its rehearsed interval costs at the shared rates (see
     * {@link HardwareProfile#aloneSpeedup()}). Both runs take virtual time, memory and trace spans; the routing model
     * is rewound after the rehearsal, so the second run routes the same tokens. {@code step} must issue the same
     * kernels each time and wait for its devices before it returns. Without sharing (or with one device) it runs
     * {@code step} once.
     *
     * @param step the work, e.g. a forward that synchronizes its devices at the end
     * @param <T>  what it returns
     * @return the second run's result (the only one without sharing)
     */
    public <T> T rehearseAndRun(Supplier<T> step) {
        Objects.requireNonNull(step, "step");
        if (sharing == null) {
            return step.get();
        }
        long[] calls = new long[devices.size()];
        synchronized (lock) {
            for (int d = 0; d < calls.length; d++) {
                calls[d] = devices.get(d).routingCalls();
            }
            sharing.beginRehearsal();
        }
        boolean rehearsed = false;
        try {
            step.get();
            rehearsed = true;
        } finally {
            synchronized (lock) {
                if (rehearsed) {
                    sharing.endRehearsal();
                } else {
                    sharing.disarm();
                }
                for (int d = 0; d < calls.length; d++) {
                    devices.get(d).rewindRoutingCalls(calls[d]);
                }
            }
        }
        try {
            return step.get();
        } finally {
            synchronized (lock) {
                sharing.disarm();
            }
        }
    }

    /** Restarts peak-memory tracking on every device at the current use. */
    public void resetPeaks() {
        devices.forEach(SimDevice::resetPeak);
    }

    /**
     * The latest virtual time any stream of this runtime has reached, in nanoseconds.
     *
     * @return nanoseconds of virtual time since the runtime opened
     */
    public long virtualNanos() {
        synchronized (lock) {
            long t = 0;
            for (SimStream s : streams) {
                t = Math.max(t, s.clock());
            }
            for (SimDevice d : devices) {
                t = Math.max(t, d.hostClock());
            }
            return t;
        }
    }

    /** Communicators, then devices. */
    @Override
    protected void release() {
        List<Runnable> closes = new ArrayList<>();
        communicators.forEach(c -> closes.add(c::close));
        devices.forEach(d -> closes.add(d::close));
        Closer.runAll(closes);
    }

    void checkOpen() {
        ensureOpen("sim runtime");
    }

    // ---- the event engine ----

    Object lock() {
        return lock;
    }

    void register(SimStream s) {
        streams.add(s);
    }

    /** The virtual time of the operation whose action the engine runs now, or -1 outside one; lock held. */
    long resolvingAt() {
        return resolvingAt;
    }

    /** The engine runs the action of an operation that resolved at {@code time} (-1: none); lock held. */
    void resolving(long time) {
        resolvingAt = time;
    }

    /** Compute shared between devices, or null when they do not share it. */
    ComputeSharing computeSharing() {
        return sharing;
    }

    /** The contention model, or null when compute is not slowed by communication. */
    Contention contention() {
        return contention;
    }

    List<SimDevice> simDevices() {
        return devices;
    }

    List<SimStream> engineStreams() {
        return streams;
    }

    void forget(SimStream s) {
        streams.remove(s);
    }

    /** Fails collective rounds that waited past their group's timeout; lock held. */
    void checkCollectiveTimeouts() {
        long now = System.nanoTime();
        for (SimGroup g : groups) {
            g.checkTimeouts(now);
        }
        pump(null);
    }

    /** A stream reached a position a blocked host thread waits for; lock held. */
    void wakeWaiters() {
        wake = true;
    }

    /**
     * Resolves everything that can be resolved; call with the lock held after any change. Blocked host threads
     * are woken only when a position one of them waits for is reached (each rank's thread waits on the same
     * lock, so waking all of them on every resolved operation would cost more than the simulation).
     */
    /** Counts issues, waits and polls so far: a waiting thread tells a stalled program from a busy one. */
    long activity() {
        return activity;
    }

    /** A host thread issued, or began to wait or poll. */
    void active() {
        activity++;
    }

    void pump(SimStream changed) {
        pumping++;
        try {
            pumpLocked(changed);
        } finally {
            pumping--;
        }
    }

    /** Whether the engine is resolving operations on this thread now (a host callback runs). */
    boolean pumping() {
        return pumping > 0;
    }

    private void pumpLocked(SimStream changed) {
        if (changed != null && !changed.advance()) {
            // An issue that resolves nothing moved only its device's host clock: with contention, that can end the
            // device's deferred kernels; nothing else changed.
            if (contention == null || !advanceDeferred(changed.device())) {
                return;
            }
        }
        do {
            boolean progress = true;
            while (progress) {
                progress = false;
                for (SimStream s : streams) {
                    progress |= s.advance();
                }
            }
        } while (contention != null && contention.forceIfClosed());
        if (wake) {
            wake = false;
            lock.notifyAll();
        }
    }

    /** Retries the deferred kernels of {@code device}; true if anything resolved. */
    private boolean advanceDeferred(SimDevice device) {
        boolean any = false;
        for (SimStream s : device.engineStreams()) {
            if (s.headDeferred()) {
                any |= s.advance();
            }
        }
        return any;
    }

    @Override
    public String toString() {
        return "SimRuntime[" + settings.profile().name() + ", " + devices.size() + " devices]";
    }
}
