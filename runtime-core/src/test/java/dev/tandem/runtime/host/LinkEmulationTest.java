package dev.tandem.runtime.host;

import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LinkModel;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The emulated link is a lower bound on transfer time; only that bound is asserted (no upper bound). */
class LinkEmulationTest {

    @Test
    void aCollectiveTakesAtLeastLatencyPlusBytesOverBandwidth() {
        LinkModel link = new LinkModel(0.01, 2_000);   // 10 MB/s, 2 ms
        assertThat(link.transferNanos(10_000)).isEqualTo(3_000_000);
        try (TandemRuntime rt = HostFixture.open(2)) {
            var comms = rt.createCommunicators(rt.devices(), CommunicatorOptions.defaults().withLink(link));
            List<Stream> streams = new ArrayList<>();
            long start = System.nanoTime();
            for (int r = 0; r < 2; r++) {
                Stream s = rt.device(r).createStream("comm");
                Tensor t = Tensor.allocate(rt.device(r), s, DType.F32, 5_000);   // 20 kB: ring all-reduce moves 20 kB
                comms.get(r).allReduce(s, t, t, ReduceOp.SUM);
                streams.add(s);
            }
            streams.forEach(Stream::synchronize);
            long elapsed = System.nanoTime() - start;
            assertThat(elapsed).isGreaterThanOrEqualTo(link.transferNanos(20_000));
        }
    }

    @Test
    void badLinkParametersAreRejected() {
        assertThatThrownBy(() -> new LinkModel(0, 1)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("bandwidth");
        assertThatThrownBy(() -> new LinkModel(Double.NaN, 1)).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> new LinkModel(1, -1)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("latency");
    }
}
