package dev.tandem.ascend;

import dev.tandem.runtime.Runtime;
import dev.tandem.runtime.RuntimeOptions;

/** Opens the ascend backend for tests: over the CPU emulator unless run with -Pnpu on a CANN machine. */
final class AscendFixture {
    private AscendFixture() {
    }

    static Runtime open(int devices) {
        return Runtime.open(RuntimeOptions.defaults().withBackend("ascend").withDeviceCount(devices));
    }
}
