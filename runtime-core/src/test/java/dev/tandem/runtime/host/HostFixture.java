package dev.tandem.runtime.host;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.RuntimeOptions;

/** Opens the host backend for the conformance suite. */
final class HostFixture {
    private HostFixture() {
    }

    static Runtime open(int devices) {
        return Runtime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(devices).withComputeThreads(2));
    }
}
