package dev.tandem.runtime.sim;

import java.util.Map;

/** A profile with round figures, so costs can be computed by hand in tests. */
final class TestProfiles {
    private TestProfiles() {
    }

    /** 100 TFLOPS BF16, 200 INT8; 1000 GB/s HBM; 100 GB/s + 10 us in a node of 4, 10 GB/s + 20 us across. */
    static HardwareProfile round(double launchMicros, double halfRows) {
        return round(launchMicros, halfRows, 0);
    }

    /** The round profile with compute slowed by {@code commSlowdown} while communication runs on its device. */
    static HardwareProfile round(double launchMicros, double halfRows, double commSlowdown) {
        return new HardwareProfile("test", "round figures", Map.of("bf16", 100.0, "int8", 200.0), 1.0, halfRows, 1000,
                1.0, 16, 100, 10, 10, 20, Map.of(), launchMicros, commSlowdown, 2, 4);
    }
}
