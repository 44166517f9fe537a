package dev.tandem.runtime.host;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;

/** Opens the host backend for the conformance suite. */
final class HostFixture {
    private HostFixture() {
    }

    static TandemRuntime open(int devices) {
        return TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(devices).withComputeThreads(2));
    }
}
