package dev.tandem.runtime.host;

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

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/** A host runtime: N emulated devices sharing one tracer. */
final class HostRuntime extends Handle implements TandemRuntime {
    /** Default capacity of an emulated device; only accounting, memory is taken when allocated. */
    static final long DEFAULT_DEVICE_MEMORY = 16L << 30;
    /**
     * Runtime property: how long closing a stream waits for its running operation (say a host callback) after
     * interrupting it, in milliseconds; default 5000.
     */
    static final String CLOSE_GRACE_PROPERTY = "host.closeGraceMillis";

    private final List<Device> devices;
    private final Tracer tracer;
    private final Duration closeGrace;
    private final HostGemm gemm;

    HostRuntime(RuntimeOptions options) {
        int count = options.deviceCount() == 0 ? 1 : options.deviceCount();
        super("host runtime with " + count + " device(s)");
        int threads = options.computeThreads() == 0
                ? Math.max(1, Runtime.getRuntime().availableProcessors() / count)
                : options.computeThreads();
        long memory = options.deviceMemoryBytes() == 0 ? DEFAULT_DEVICE_MEMORY : options.deviceMemoryBytes();
        this.tracer = new Tracer(options.tracing());
        this.closeGrace = Duration.ofMillis(Long.parseLong(options.properties().getOrDefault(CLOSE_GRACE_PROPERTY, "5000")));
        this.gemm = HostGemms.select(options.properties().get(HostGemms.OPTION));
        List<Device> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(new HostDevice(this, i, threads, memory));
        }
        this.devices = List.copyOf(list);
    }

    @Override
    public String backendName() {
        return HostBackend.NAME;
    }

    @Override
    public String gemmImplementation() {
        return gemm.description();
    }

    HostGemm gemm() {
        return gemm;
    }

    @Override
    public List<Device> devices() {
        checkOpen();
        return devices;
    }

    @Override
    public List<Communicator> createCommunicators(List<Device> members, CommunicatorOptions options) {
        checkOpen();
        Objects.requireNonNull(members, "devices");
        Objects.requireNonNull(options, "options");
        if (members.isEmpty()) {
            throw new InvalidArgumentException("a communicator group needs at least one device");
        }
        var seen = new HashSet<Device>();
        List<HostDevice> hostDevices = new ArrayList<>();
        for (Device d : members) {
            if (!(d instanceof HostDevice hd) || hd.runtime() != this) {
                throw new WrongDeviceException("device " + d + " does not belong to this host runtime");
            }
            if (!seen.add(d)) {
                throw new InvalidArgumentException("device " + d.name() + " appears twice in the communicator group");
            }
            hd.checkOpen();
            hostDevices.add(hd);
        }
        return new CollectiveGroup(hostDevices, options).communicators();
    }

    Duration closeGrace() {
        return closeGrace;
    }

    @Override
    public Tracer tracer() {
        return tracer;
    }

    /** Devices in reverse order of creation. */
    @Override
    protected void release() {
        Closer.closeAll(devices.reversed());
    }

    void checkOpen() {
        ensureOpen("host runtime");
    }

    @Override
    public String toString() {
        return "HostRuntime[" + devices.size() + " devices]";
    }
}
