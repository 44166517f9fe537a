package dev.tandem.runtime.host;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.StreamConformance;

class HostStreamConformanceTest extends StreamConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return HostFixture.open(devices);
    }
}
