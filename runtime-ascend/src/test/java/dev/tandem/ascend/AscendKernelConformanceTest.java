package dev.tandem.ascend;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.KernelConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendKernelConformanceTest extends KernelConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }
}
