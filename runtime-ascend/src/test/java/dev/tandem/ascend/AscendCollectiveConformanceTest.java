package dev.tandem.ascend;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.conformance.CollectiveConformance;

class AscendCollectiveConformanceTest extends CollectiveConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }
}
