package dev.tandem.runtime.host;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.WrongDeviceException;
import dev.tandem.runtime.trace.Tracer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/** A host runtime: N emulated devices sharing one tracer. */
final class HostRuntime implements TandemRuntime {
    /** Default capacity of an emulated device; only accounting, memory is taken when allocated. */
    static final long DEFAULT_DEVICE_MEMORY = 16L << 30;

    private final List<Device> devices;
    private final Tracer tracer;
    private final HostGemm gemm;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LeakTracker.Registration registration;

    HostRuntime(RuntimeOptions options) {
        int count = options.deviceCount() == 0 ? 1 : options.deviceCount();
        int threads = options.computeThreads() == 0
                ? Math.max(1, java.lang.Runtime.getRuntime().availableProcessors() / count)
                : options.computeThreads();
        long memory = options.deviceMemoryBytes() == 0 ? DEFAULT_DEVICE_MEMORY : options.deviceMemoryBytes();
        this.tracer = new Tracer(options.tracing());
        this.gemm = HostGemms.select(options.properties().get(HostGemms.OPTION));
        List<Device> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(new HostDevice(this, i, threads, memory));
        }
        this.devices = List.copyOf(list);
        this.registration = LeakTracker.global().track("host runtime with " + count + " device(s)");
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

    @Override
    public Tracer tracer() {
        return tracer;
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
        List<Runnable> closes = new ArrayList<>();
        for (int i = devices.size() - 1; i >= 0; i--) {
            closes.add(devices.get(i)::close);
        }
        try {
            dev.tandem.runtime.spi.Closer.runAll(closes);
        } finally {
            registration.release();
        }
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("host runtime is closed");
        }
    }

    @Override
    public String toString() {
        return "HostRuntime[" + devices.size() + " devices]";
    }
}
