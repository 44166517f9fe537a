package dev.tandem.ascend;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.conformance.StreamConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendStreamConformanceTest extends StreamConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }
}
