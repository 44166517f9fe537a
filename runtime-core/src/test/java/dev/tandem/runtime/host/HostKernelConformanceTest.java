package dev.tandem.runtime.host;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.conformance.KernelConformance;

/** The kernel conformance suite on the host backend. */
class HostKernelConformanceTest extends KernelConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(devices));
    }
}
