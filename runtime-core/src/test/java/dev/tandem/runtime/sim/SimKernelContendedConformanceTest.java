package dev.tandem.runtime.sim;

import dev.tandem.runtime.TandemRuntime;

/**
 * {@link SimKernelConformanceTest} with compute slowed by communication (kernel ends deferred until the device's
 * communication is known): the same cases pass, none hangs.
 */
class SimKernelContendedConformanceTest extends SimKernelConformanceTest {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return SimConformance.open(devices, 0.5);
    }
}
