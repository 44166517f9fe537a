package dev.tandem.ascend;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.RandomProgramConformance;

@org.junit.jupiter.api.Tag("conformance")
class AscendRandomProgramTest extends RandomProgramConformance {
    @Override
    protected TandemRuntime openRuntime(int devices) {
        return AscendFixture.open(devices);
    }

    /** Every enqueue crosses FFM into the emulator's stream threads; a few hundred programs keep the run short. */
    @Override
    protected int programCount() {
        return Integer.getInteger("tandem.randomPrograms.count", 1000);
    }
}
