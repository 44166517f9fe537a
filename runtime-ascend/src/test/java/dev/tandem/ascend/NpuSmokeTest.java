package dev.tandem.ascend;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.EventOptions;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Real-hardware checks: run with {@code mvn -Pnpu verify} on a machine with CANN and at least one NPU. */
@Tag("npu")
class NpuSmokeTest {

    @Test
    void copiesKernelsEventsAndCollectivesOnRealDevices() {
        try (TandemRuntime rt = AscendFixture.open(0)) {
            assertThat(((AscendRuntime) rt).isEmulator()).as("-Pnpu must use CANN, not the emulator").isFalse();
            Device dev = rt.device(0);
            assertThat(dev.memoryInfo().totalBytes()).isPositive();
            Stream s = dev.createStream("npu");
            Tensor a = Tensor.allocate(dev, s, DType.F32, 2, 2);
            Tensor b = Tensor.allocate(dev, s, DType.F32, 2, 2);
            s.upload(new float[]{1, 2, 3, 4}, a);
            Event start = dev.createEvent(EventOptions.TIMING);
            Event end = dev.createEvent(EventOptions.TIMING);
            s.record(start);
            dev.kernels().matmul(s, a, a, b);
            s.record(end);
            assertThat(s.readFloats(b)).containsExactly(7, 10, 15, 22);
            assertThat(end.elapsedMillis(start)).isGreaterThanOrEqualTo(0f);
            start.close();
            end.close();
            if (rt.devices().size() > 1) {
                List<Device> two = rt.devices().subList(0, 2);
                // createCommunicators already issued each rank's first (link-setup) operation from its own thread, so
                // these collectives may be issued from this one thread (HCCL_CONNECT_TIMEOUT would hang otherwise).
                List<Communicator> comms = rt.createCommunicators(two);
                Stream[] streams = {two.get(0).createStream("c0"), two.get(1).createStream("c1")};
                Tensor[] t = new Tensor[2];
                for (int r = 0; r < 2; r++) {
                    t[r] = Tensor.allocate(two.get(r), streams[r], DType.F32, 4);
                    streams[r].upload(new float[]{r, r, r, r + 1}, t[r]);
                }
                comms.get(0).allReduce(streams[0], t[0], t[0], ReduceOp.SUM);
                comms.get(1).allReduce(streams[1], t[1], t[1], ReduceOp.SUM);
                assertThat(streams[0].readFloats(t[0])).containsExactly(1, 1, 1, 3);
            }
        }
    }
}
