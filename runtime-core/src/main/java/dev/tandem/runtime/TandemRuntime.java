package dev.tandem.runtime;

import dev.tandem.runtime.spi.Backends;
import dev.tandem.runtime.trace.Tracer;

import java.util.List;

/**
 * An opened backend: its devices, communicators and tracer. Closing the runtime closes everything it created.
 *
 * <pre>{@code
 * try (TandemRuntime rt = TandemRuntime.open()) {             // host backend unless configured otherwise
 *     Device dev = rt.device(0);
 *     Stream s = dev.createStream("compute");
 *     ...
 * }
 * }</pre>
 */
public interface TandemRuntime extends AutoCloseable {

    /** Opens the backend named by {@code -Dtandem.backend}, else {@code TANDEM_BACKEND}, else {@code host}. */
    static TandemRuntime open() {
        return open(RuntimeOptions.defaults());
    }

    /** Opens the named backend with default options. */
    static TandemRuntime open(String backend) {
        return open(RuntimeOptions.defaults().withBackend(backend));
    }

    /** Opens a backend with options; an unknown name fails with a message listing the available backends. */
    static TandemRuntime open(RuntimeOptions options) {
        return Backends.resolve(options.backend()).open(options);
    }

    /** The backend's name, e.g. {@code host} or {@code ascend}. */
    String backendName();

    List<Device> devices();

    /**
     * What computes this runtime's matrix multiplies, for reports: on the host backend the GEMM chosen at open
     * (a CBLAS library, the Vector API or the scalar Java GEMM; property {@code host.gemm} or
     * {@code -Dtandem.gemm}); other backends name their own.
     */
    default String gemmImplementation() {
        return backendName() + " backend kernels";
    }

    default Device device(int index) {
        List<Device> devices = devices();
        if (index < 0 || index >= devices.size()) {
            throw new OutOfRangeException("device " + index + " does not exist; this runtime has " + devices.size());
        }
        return devices.get(index);
    }

    /**
     * Creates one communicator per device, forming a group of {@code devices.size()} ranks inside this process
     * (rank i drives {@code devices.get(i)}). Each communicator is closed with its device.
     */
    List<Communicator> createCommunicators(List<Device> devices, CommunicatorOptions options);

    default List<Communicator> createCommunicators(List<Device> devices) {
        return createCommunicators(devices, CommunicatorOptions.defaults());
    }

    /** The tracer; it records only when tracing was enabled in {@link RuntimeOptions} or by {@link Tracer#enable()}. */
    Tracer tracer();

    boolean isClosed();

    @Override
    void close();
}
