package dev.tandem.runtime.host;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.conformance.KernelConformance;

/** The kernel conformance suite on the host backend. */
class HostKernelConformanceTest extends KernelConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return Runtime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(devices));
    }
}
