package dev.tandem.deepseek.demo;

import dev.tandem.runtime.sim.HardwareProfile;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.DoubleStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The host prediction check's verdict on a window: its tolerance and its noise rules, on made-up figures. */
class PredictionWindowTest {
    private static final long MS = 1_000_000;

    @Test
    void aSteadyWindowWithinTheTolerancePasses() {
        var j = window(steady(200), steady(160), 60, 60, 60).judge(new long[] {190 * MS, 170 * MS});
        assertThat(j.noise()).isNull();
        assertThat(j.failure()).isNull();
        assertThat(j.passed(false)).isTrue();
        assertThat(j.report()).contains("sequential measured 200.00 ms", "predicted 190.00 ms (-5.0%)",
                "dbo measured 160.00 ms", "(+6.3%)", "20 forwards of each schedule, 3 profiles");
    }

    @Test
    void aPredictionOutsideFifteenPercentFailsAndSaysWhich() {
        var j = window(steady(200), steady(160), 60, 60, 60).judge(new long[] {168 * MS, 160 * MS});
        assertThat(j.noise()).isNull();
        assertThat(j.failure()).isEqualTo("the sequential prediction is -16.0% off, more than 15%");
        assertThat(j.failed(false)).isTrue();
        assertThat(window(steady(200), steady(160), 60, 60, 60).judge(new long[] {200 * MS, 185 * MS}).failure())
                .isEqualTo("the dbo prediction is +15.6% off, more than 15%");
    }

    @Test
    void scatteredForwardsAreTooNoisyToJudge() {
        long[] scattered = new long[20];
        for (int i = 0; i < scattered.length; i++) {
            scattered[i] = (i % 2 == 0 ? 180 : 220) * MS;   // 10% either side of 200
        }
        var j = window(scattered, steady(160), 60, 60, 60).judge(new long[] {150 * MS, 160 * MS});
        assertThat(j.noise()).isEqualTo("the sequential forward's times deviate by 10.0% from their median");
        assertThat(j.failure()).isNotNull();
        assertThat(j.failed(false)).isFalse();   // not judged
        assertThat(j.passed(false)).isFalse();
        assertThat(j.failed(true)).isTrue();     // judged when the noise rules are ignored
    }

    @Test
    void aMedianThatMovesBetweenTheHalvesIsTooNoisyToJudge() {
        long[] moved = new long[20];
        Arrays.fill(moved, 0, 10, 160 * MS);
        Arrays.fill(moved, 10, 20, 180 * MS);   // the second half 12.5% slower
        var j = window(steady(200), moved, 60, 60, 60).judge(new long[] {200 * MS, 170 * MS});
        assertThat(j.noise()).isEqualTo("the dbo forward's median moved by 12.5% between the halves of the window");
    }

    @Test
    void profilesThatDisagreeOnTheMachinesSpeedAreTooNoisyToJudge() {
        var j = window(steady(200), steady(160), 50, 60, 70).judge(new long[] {200 * MS, 160 * MS});
        assertThat(j.noise()).isEqualTo("the profiles' GEMM rates deviate by 16.7%");
        assertThat(j.passed(false)).isFalse();
        assertThat(j.passed(true)).isTrue();
    }

    @Test
    void otherProcessesUsingTheCpuMakeTheWindowTooNoisyToJudge() {
        var j = new PredictionWindow(profiles(60, 60, 60), new long[][] {steady(200), steady(160)}, 0.5)
                .judge(new long[] {200 * MS, 160 * MS});
        assertThat(j.noise()).startsWith("other processes (and the hypervisor, as steal time) used 0.50 cores");
    }

    @Test
    void smallScatterAndDriftAreSteady() {
        // 3% either side and 4% between the halves: inside the rules (6% and 10%)
        long[] times = new long[20];
        for (int i = 0; i < times.length; i++) {
            double base = i < 10 ? 200 : 208;
            times[i] = Math.round((i % 2 == 0 ? base * 0.97 : base * 1.03) * MS);
        }
        assertThat(window(times, steady(160), 60, 61, 59).judge(new long[] {200 * MS, 160 * MS}).noise()).isNull();
    }

    @Test
    void theCheckPassesAtAPassingWindowFailsOnTwoMissesAndOtherwiseStaysUndecided() {
        var pass = new PredictionWindow.Judgement("", null, null);
        var miss = new PredictionWindow.Judgement("", null, "off");
        var noisy = new PredictionWindow.Judgement("", "noisy", null);
        var noisyMiss = new PredictionWindow.Judgement("", "noisy", "off");
        assertThat(outcome(pass)).isEqualTo(PredictionWindow.Outcome.PASSED);
        assertThat(outcome(miss, pass)).isEqualTo(PredictionWindow.Outcome.PASSED);
        assertThat(outcome(noisy, noisy, pass)).isEqualTo(PredictionWindow.Outcome.PASSED);
        assertThat(outcome(miss, miss)).isEqualTo(PredictionWindow.Outcome.FAILED);
        assertThat(outcome(miss, noisy, miss)).isEqualTo(PredictionWindow.Outcome.FAILED);
        // a pass after two misses comes too late: the check stopped at the second
        assertThat(outcome(miss, miss, pass)).isEqualTo(PredictionWindow.Outcome.FAILED);
        // one miss among noisy windows is not confirmed; a noisy window that would miss is not judged
        assertThat(outcome(miss)).isEqualTo(PredictionWindow.Outcome.UNDECIDED);
        assertThat(outcome(noisy, miss, noisy)).isEqualTo(PredictionWindow.Outcome.UNDECIDED);
        assertThat(outcome(noisyMiss, noisyMiss, noisy)).isEqualTo(PredictionWindow.Outcome.UNDECIDED);
        // forced: noise rules ignored, every window judged
        assertThat(PredictionWindow.outcome(List.of(noisyMiss, noisyMiss), true))
                .isEqualTo(PredictionWindow.Outcome.FAILED);
        assertThat(PredictionWindow.outcome(List.of(noisyMiss, noisy), true))
                .isEqualTo(PredictionWindow.Outcome.PASSED);
    }

    private static PredictionWindow.Outcome outcome(PredictionWindow.Judgement... judgements) {
        return PredictionWindow.outcome(List.of(judgements), false);
    }

    private static PredictionWindow window(long[] sequential, long[] dbo, double... gflops) {
        return new PredictionWindow(profiles(gflops), new long[][] {sequential, dbo}, 0);
    }

    private static long[] steady(long millis) {
        long[] t = new long[20];
        Arrays.fill(t, millis * MS);
        return t;
    }

    /** Host-like profiles that differ only in their F32 GEMM rate, GFLOPS. */
    private static List<HardwareProfile> profiles(double... gflops) {
        return DoubleStream.of(gflops).mapToObj(g -> new HardwareProfile("host", "test",
                Map.of("f32", g / 1e3, "bf16", g / 1e3), 1, 0, 10, 1, 1, 1, 1, 1, 1, Map.of(), 1, 0, 0, 8, 0, 0,
                Map.of(), 0, Map.of(), Map.of(), 1)).toList();
    }
}
