package dev.tandem.runtime.sim;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.conformance.StreamConformance;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

/** The stream conformance suite on the simulated backend: everything but the real-time cases listed here. */
class SimStreamConformanceTest extends StreamConformance {
    private static final String LATCH = "a host callback blocks on a latch the test opens later; sim resolves callbacks on the enqueueing thread under its lock, so nothing can open it (real-time ordering)";

    @RegisterExtension
    static final Extension LEFT_OUT = SimConformance.skips(Map.of(
            "waitEventOrdersAcrossStreams", LATCH,
            "waitCapturesTheRecordAtTheTimeOfTheWait", LATCH,
            "waitStreamJoinsEverythingEnqueuedSoFar", LATCH,
            "aStreamWaitingOnAFailedStreamFailsToo", LATCH,
            "synchronizeWithTimeoutThrowsWhenWorkIsStuck", LATCH,
            "freeingABufferWaitsForOtherStreamsThatUseIt", LATCH,
            "timingEventsMeasureElapsedTime", "measures a real sleep in a callback; sim event times are virtual (VirtualTimeTest checks them by hand)"));

    @Override
    protected TandemRuntime openRuntime(int devices) {
        return SimConformance.open(devices);
    }
}
