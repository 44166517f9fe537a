package dev.tandem.runtime.sim;

import dev.tandem.runtime.TandemRuntime;

/**
 * {@link SimStreamConformanceTest} with compute slowed by communication (kernel ends deferred until the device's
 * communication is known): the same cases pass, none hangs.
 */
class SimStreamContendedConformanceTest extends SimStreamConformanceTest {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return SimConformance.open(devices, 0.5);
    }
}
