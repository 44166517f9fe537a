package dev.tandem.ascend;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.KernelConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendKernelConformanceTest extends KernelConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }

    /** CANN reports a fault found on the device as a code (507015, AI core exception), kept as {@link AclException}. */
    @Override
    protected Class<? extends Throwable> deviceFaultType() {
        return AclException.class;
    }
}
