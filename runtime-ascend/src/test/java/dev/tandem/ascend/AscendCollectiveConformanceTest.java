package dev.tandem.ascend;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.conformance.CollectiveConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendCollectiveConformanceTest extends CollectiveConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }
}
