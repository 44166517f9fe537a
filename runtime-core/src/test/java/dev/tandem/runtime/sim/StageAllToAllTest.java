package dev.tandem.runtime.sim;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * alltoall.STAGE.gbps.epN: published dispatch and combine tables differ (the Ascend DeepEP port's combine is 42%
 * faster than its dispatch at EP 128), so an all-to-all uses the table of the stage that issues it, named by the
 * last part of its trace tag; every other all-to-all uses alltoall.gbps.epN.
 */
class StageAllToAllTest {

    /** Round figures in a node of 4: 100 GB/s + 10 us; all-to-alls 50 GB/s, combines 25 GB/s at EP 2 and 4. */
    private static Properties properties() {
        return CostModelTest.roundProperties("alltoall.gbps.ep2", "50", "alltoall.gbps.ep4", "50",
                "alltoall.combine.gbps.ep2", "25", "alltoall.combine.gbps.ep4", "25");
    }

    @Test
    void theIssuingStagesTableCostsItsAllToAllsAndOnlyThem() {
        HardwareProfile profile = HardwareProfile.fromProperties("staged", properties());
        assertThat(profile.stageAllToAllGBps()).containsOnlyKeys("combine");
        CostModel c = new CostModel(profile, "bf16");
        double mb = 1_000_000;
        assertThat(c.collectiveNanos("allToAllV", mb, 4, "combine")).isCloseTo(10_000 + mb / 25, within(1e-6));
        assertThat(c.collectiveNanos("allToAllV", mb, 4, "dispatch")).isCloseTo(10_000 + mb / 50, within(1e-6));
        assertThat(c.collectiveNanos("allToAllV", mb, 4, null)).isCloseTo(10_000 + mb / 50, within(1e-6));
        // other collectives of the stage keep the node link
        assertThat(c.collectiveNanos("allGather", mb, 4, "combine")).isCloseTo(10_000 + mb / 100, within(1e-6));
    }

    @Test
    void malformedStageKeysAreRejectedByName() {
        Properties p = properties();
        p.setProperty("alltoall.combine.gbps.ep4", "0");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", p))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("alltoall.combine.gbps.ep4");
        Properties q = properties();
        q.setProperty("alltoall.combine.gbps.epmany", "10");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", q))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("alltoall.combine.gbps.epmany");
        Properties r = properties();
        r.setProperty("alltoall..gbps.ep4", "10");
        assertThatThrownBy(() -> HardwareProfile.fromProperties("bad", r))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("alltoall..gbps.ep4");
    }

    /** On {@code sim}, the tag that {@code ScheduleRunner} sets ({@code mb<m>/<stage>}) picks the table. */
    @Test
    void aSimulatedExchangeTaggedAsACombineTakesCombinesBandwidth() {
        HardwareProfile profile = HardwareProfile.fromProperties("staged", properties());
        try (SimRuntime rt = new SimRuntime(RuntimeOptions.defaults().withDeviceCount(2).withTracing(true),
                SimSettings.of(profile))) {
            List<Communicator> comms = rt.createCommunicators(rt.devices());
            List<Stream> streams = new ArrayList<>();
            List<Tensor[]> buffers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                Stream s = rt.device(r).createStream("comm" + r);
                streams.add(s);
                buffers.add(new Tensor[] {Tensor.allocate(rt.device(r), s, DType.F32, 1000, 1000),
                        Tensor.allocate(rt.device(r), s, DType.F32, 1000, 1000)});
            }
            for (String tag : List.of("mb0/L3/dispatch", "mb0/L3/combine")) {
                for (int r = 0; r < 2; r++) {
                    String previous = streams.get(r).traceTag(tag);
                    comms.get(r).allToAll(streams.get(r), buffers.get(r)[0], buffers.get(r)[1]);
                    streams.get(r).traceTag(previous);
                }
            }
            streams.forEach(Stream::synchronize);
            List<TraceSpan> spans = rt.tracer().spans().stream()
                    .filter(t -> t.stream().equals("comm0") && t.name().equals("allToAll")).toList();
            // half of 10^6 BF16 elements to the one peer: 1 MB at 50 GB/s, then at 25 GB/s, plus 10 us each
            assertThat(spans).extracting(TraceSpan::durationNanos).containsExactly(30_000L, 50_000L);
        }
    }
}
