package dev.tandem.runtime.sim;

import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;

import java.util.Map;

/**
 * How the conformance suites run on {@code sim}: a runtime whose buffers all carry data (so copies, all-gathers
 * and the checks around them behave as on host), and a stated reason for every case left out. Only cases that
 * need kernels to compute, or real time to pass, are left out; every validation (bad input) case runs.
 */
final class SimConformance {
    private SimConformance() {
    }

    static TandemRuntime open(int devices) {
        return open(devices, 0);
    }

    /** With compute slowed by {@code commSlowdown} while communication runs: kernel ends are deferred in the engine. */
    static TandemRuntime open(int devices, double commSlowdown) {
        return new SimRuntime(RuntimeOptions.defaults().withBackend(SimBackend.NAME).withDeviceCount(devices),
                new SimSettings(TestProfiles.round(1, 0, commSlowdown), "bf16", RoutingModel.balanced(), 1L << 30));
    }

    /** For a suite's {@code @RegisterExtension}: skips the cases named in {@code reasons} (method name to reason). */
    static Extension skips(Map<String, String> reasons) {
        return (ExecutionCondition) context -> {
            String reason = context.getTestMethod().map(m -> reasons.get(m.getName())).orElse(null);
            return reason == null ? ConditionEvaluationResult.enabled("runs on sim")
                    : ConditionEvaluationResult.disabled("not on sim: " + reason);
        };
    }
}
