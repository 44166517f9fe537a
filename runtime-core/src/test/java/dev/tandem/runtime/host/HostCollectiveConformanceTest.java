package dev.tandem.runtime.host;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.CollectiveConformance;

class HostCollectiveConformanceTest extends CollectiveConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return HostFixture.open(devices);
    }
}
