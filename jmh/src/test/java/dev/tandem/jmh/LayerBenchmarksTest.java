package dev.tandem.jmh;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs the benchmark's setup, two invocations and teardown without JMH, so CI catches a broken layer benchmark. */
class LayerBenchmarksTest {

    @Test
    void anOverlappedInvocationCountsTokensAndBusyTime() {
        LayerBenchmarks bench = new LayerBenchmarks();
        bench.preset = "tiny-v3";
        bench.layers = "1:2";
        bench.tokens = 32;
        bench.ranks = 2;
        bench.schedule = "dbo";
        bench.link = "1:10";
        LayerBenchmarks.Occupancy occupancy = new LayerBenchmarks.Occupancy();
        bench.open();
        try {
            assertThat(bench.forward(occupancy).overlapped()).isTrue();
            // A second forward under fresh ids is the same prefill again.
            assertThat(bench.forward(occupancy).plan().size()).isEqualTo(2);
        } finally {
            bench.close();
        }
        assertThat(occupancy.tokens).isEqualTo(64);
        assertThat(occupancy.computeBusy).isPositive();
        assertThat(occupancy.commBusy).isPositive();
    }

    @Test
    void scheduleAndLinkParametersAreChecked() {
        assertThat(LayerBenchmarks.schedule("overlap3").microBatches()).isEqualTo(3);
        assertThatThrownBy(() -> LayerBenchmarks.schedule("auto")).hasMessageContaining("sequential, dbo or overlap3");
        assertThat(LayerBenchmarks.link("0.05:50").latencyMicros()).isEqualTo(50);
        assertThatThrownBy(() -> LayerBenchmarks.link("0.05:x")).hasMessageContaining("GBPS:LATENCY_US");
    }
}
