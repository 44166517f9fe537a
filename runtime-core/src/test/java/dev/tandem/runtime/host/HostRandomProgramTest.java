package dev.tandem.runtime.host;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.conformance.RandomProgramConformance;

class HostRandomProgramTest extends RandomProgramConformance {
    @Override
    protected Runtime openRuntime(int devices) {
        return HostFixture.open(devices);
    }
}
