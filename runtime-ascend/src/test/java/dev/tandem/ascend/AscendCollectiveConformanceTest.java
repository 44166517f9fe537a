package dev.tandem.ascend;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.CollectiveConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendCollectiveConformanceTest extends CollectiveConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }
}
