package dev.tandem.runtime.sim;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Devices that share compute ({@link HardwareProfile#aloneSpeedup()}): after a rehearsal, each kernel costs what its
 * rehearsed interval costs when a kernel runs {@code 1 + s} times faster with no other device computing and at
 * {@code (1 + s) / (1 + s b / (n - 1))} of the all-busy rate with {@code b} of the other devices computing. An add of
 * a [1000,1000] tensor costs 6000 ns on the round profile.
 */
class ComputeSharingTest {
    private static final long ADD = 6000;

    private static SimRuntime open(int devices, double speedup) {
        return new SimRuntime(RuntimeOptions.defaults().withDeviceCount(devices).withTracing(true),
                SimSettings.of(TestProfiles.round(0, 0).withAloneSpeedup(speedup)));
    }

    /** Issues {@code adds[d]} adds on device d (streams and tensors made once), then waits for every device. */
    private static Runnable adds(SimRuntime rt, int... adds) {
        Stream[] streams = new Stream[adds.length];
        Tensor[] tensors = new Tensor[adds.length];
        for (int d = 0; d < adds.length; d++) {
            Device dev = rt.device(d);
            streams[d] = dev.createStream("s" + d);
            tensors[d] = Tensor.allocate(dev, streams[d], DType.F32, 1000, 1000);
        }
        return () -> {
            for (int d = 0; d < adds.length; d++) {
                for (int i = 0; i < adds[d]; i++) {
                    rt.device(d).kernels().add(streams[d], tensors[d], tensors[d], tensors[d]);
                }
            }
            for (int d = 0; d < adds.length; d++) {
                streams[d].synchronize();
            }
        };
    }

    private static List<Long> durations(SimRuntime rt, String stream) {
        return rt.tracer().spans().stream().filter(s -> s.stream().equals(stream) && s.name().equals("add"))
                .map(TraceSpan::durationNanos).toList();
    }

    @Test
    void aKernelRunsFasterWhileTheOtherDeviceIdles() {
        try (SimRuntime rt = open(2, 1.0)) {
            Runnable step = adds(rt, 5, 2);
            rt.tracer().clear();
            AtomicInteger runs = new AtomicInteger();
            int result = rt.rehearseAndRun(() -> {
                rt.tracer().clear();
                step.run();
                return runs.incrementAndGet();
            });
            assertThat(result).isEqualTo(2);
            // device 1's adds overlap device 0's first two; device 0's last three run alone, twice as fast
            assertThat(durations(rt, "s0")).containsExactly(ADD, ADD, ADD / 2, ADD / 2, ADD / 2);
            assertThat(durations(rt, "s1")).containsExactly(ADD, ADD);
        }
    }

    @Test
    void theSpeedScalesWithHowManyOtherDevicesCompute() {
        try (SimRuntime rt = open(3, 1.0)) {
            Runnable step = adds(rt, 3, 2, 1);
            rt.rehearseAndRun(() -> {
                rt.tracer().clear();
                step.run();
                return null;
            });
            // with b of the 2 other devices busy the rate is 2 / (1 + b / 2) of the all-busy rate
            assertThat(durations(rt, "s0")).containsExactly(ADD, ADD * 3 / 4, ADD / 2);
            assertThat(durations(rt, "s1")).containsExactly(ADD, ADD * 3 / 4);
            assertThat(durations(rt, "s2")).containsExactly(ADD);
        }
    }

    @Test
    void theFactorsApplyToTheRunAfterTheRehearsalOnly() {
        try (SimRuntime rt = open(2, 1.0)) {
            Runnable step = adds(rt, 3, 1);
            rt.rehearseAndRun(() -> {
                step.run();
                return null;
            });
            rt.tracer().clear();
            step.run();
            assertThat(durations(rt, "s0")).containsExactly(ADD, ADD, ADD);
        }
    }

    @Test
    void withoutSharingTheStepRunsOnceAtTheProfilesRates() {
        for (SimRuntime rt : List.of(open(2, 0), open(1, 1.0))) {
            try (rt) {
                Runnable step = adds(rt, rt.devices().size() == 2 ? new int[] {3, 1} : new int[] {3});
                rt.tracer().clear();
                AtomicInteger runs = new AtomicInteger();
                rt.rehearseAndRun(() -> {
                    step.run();
                    return runs.incrementAndGet();
                });
                assertThat(runs).hasValue(1);
                assertThat(durations(rt, "s0")).containsExactly(ADD, ADD, ADD);
            }
        }
    }

    @Test
    void aFailingRehearsalLeavesNoFactorsBehind() {
        try (SimRuntime rt = open(2, 1.0)) {
            Runnable step = adds(rt, 3, 1);
            assertThatThrownBy(() -> rt.rehearseAndRun(() -> {
                step.run();
                throw new IllegalStateException("step failed");
            })).isInstanceOf(IllegalStateException.class).hasMessage("step failed");
            rt.tracer().clear();
            step.run();
            assertThat(durations(rt, "s0")).containsExactly(ADD, ADD, ADD);
        }
    }

    @Test
    void aNegativeSpeedupIsRejectedByName() {
        assertThatThrownBy(() -> TestProfiles.round(0, 0).withAloneSpeedup(-0.5))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("host.alone.speedup");
    }
}
