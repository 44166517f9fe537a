package dev.tandem.runtime.host;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.conformance.StreamConformance;

class HostStreamConformanceTest extends StreamConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return HostFixture.open(devices);
    }
}
