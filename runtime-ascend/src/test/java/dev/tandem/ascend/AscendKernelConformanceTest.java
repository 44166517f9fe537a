package dev.tandem.ascend;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.conformance.KernelConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendKernelConformanceTest extends KernelConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }
}
