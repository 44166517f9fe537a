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

    /**
     * Opens the backend named by {@code -Dtandem.backend}, else {@code TANDEM_BACKEND}, else {@code host}.
     *
     * @return the open runtime, which the caller closes
     * @throws BackendNotFoundException if that backend is unknown or unavailable
     */
    static TandemRuntime open() {
        return open(RuntimeOptions.defaults());
    }

    /**
     * Opens the named backend with default options.
     *
     * @param backend the backend's name, e.g. {@code host} or {@code sim}
     * @return the open runtime, which the caller closes
     * @throws BackendNotFoundException if that backend is unknown or unavailable
     */
    static TandemRuntime open(String backend) {
        return open(RuntimeOptions.defaults().withBackend(backend));
    }

    /**
     * Opens a backend with options; an unknown name fails with a message listing the available backends.
     *
     * @param options which backend and how to open it
     * @return the open runtime, which the caller closes
     * @throws BackendNotFoundException if that backend is unknown or unavailable
     */
    static TandemRuntime open(RuntimeOptions options) {
        return Backends.resolve(options.backend()).open(options);
    }

    /**
     * The backend's name, e.g. {@code host} or {@code ascend}.
     *
     * @return the name
     */
    String backendName();

    /**
     * The devices this runtime opened.
     *
     * @return the devices, in id order
     */
    List<Device> devices();

    /**
     * What computes this runtime's matrix multiplies, for reports: on the host backend the GEMM chosen at open
     * (a CBLAS library, the Vector API or the scalar Java GEMM; property {@code host.gemm} or
     * {@code -Dtandem.gemm}); other backends name their own.
     *
     * @return a short description of the GEMM implementation
     */
    default String gemmImplementation() {
        return backendName() + " backend kernels";
    }

    /**
     * One device.
     *
     * @param index the device's id
     * @return the device
     * @throws OutOfRangeException if there is no such device
     */
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
     *
     * @param devices the group's devices, distinct and of this runtime
     * @param options the rendezvous timeout and emulated link
     * @return the communicators, in rank order
     */
    List<Communicator> createCommunicators(List<Device> devices, CommunicatorOptions options);

    /**
     * Creates a group of communicators with the default options.
     *
     * @param devices the group's devices, distinct and of this runtime
     * @return the communicators, in rank order
     */
    default List<Communicator> createCommunicators(List<Device> devices) {
        return createCommunicators(devices, CommunicatorOptions.defaults());
    }

    /**
     * The tracer; it records only when tracing was enabled in {@link RuntimeOptions} or by {@link Tracer#enable()}.
     *
     * @return the runtime's tracer
     */
    Tracer tracer();

    /**
     * True once {@link #close()} has begun.
     *
     * @return whether the runtime is closing or closed
     */
    boolean isClosed();

    @Override
    void close();
}
