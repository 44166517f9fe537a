package dev.tandem.runtime.host;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.conformance.CollectiveConformance;

class HostCollectiveConformanceTest extends CollectiveConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return HostFixture.open(devices);
    }
}
