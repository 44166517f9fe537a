package dev.tandem.ascend;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;

/** Opens the ascend backend for tests: over the CPU emulator unless run with -Pnpu on a CANN machine. */
final class AscendFixture {
    private AscendFixture() {
    }

    static TandemRuntime open(int devices) {
        return TandemRuntime.open(RuntimeOptions.defaults().withBackend("ascend").withDeviceCount(devices));
    }
}
