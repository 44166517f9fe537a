package dev.tandem.runtime.host;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.RandomProgramConformance;

class HostRandomProgramTest extends RandomProgramConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return HostFixture.open(devices);
    }
}
