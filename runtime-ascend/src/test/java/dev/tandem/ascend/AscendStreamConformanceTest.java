package dev.tandem.ascend;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.StreamConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendStreamConformanceTest extends StreamConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }
}
