package dev.tandem.runtime.host;

import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.InterconnectEstimate;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LinkEmulation;
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
        LinkEmulation link = new LinkEmulation(0.01, 2_000);   // 10 MB/s, 2 ms
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
        assertThatThrownBy(() -> new LinkEmulation(0, 1)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("bandwidth");
        assertThatThrownBy(() -> new LinkEmulation(Double.NaN, 1)).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> new LinkEmulation(1, -1)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("latency");
    }

    @Test
    void bothLinkKindsParseOneSpecification() {
        assertThat(LinkEmulation.parse("25:20")).isEqualTo(new LinkEmulation(25, 20));
        assertThat(LinkEmulation.parse(" 0.5 ")).isEqualTo(new LinkEmulation(0.5, 0));
        assertThat(InterconnectEstimate.parse("200:3")).isEqualTo(new InterconnectEstimate(200, 3));
        assertThat(InterconnectEstimate.of(new LinkEmulation(1, 2))).isEqualTo(new InterconnectEstimate(1, 2));
        assertThat(new InterconnectEstimate(1, 2).transferNanos(1000)).isEqualTo(new LinkEmulation(1, 2).transferNanos(1000));
        for (String bad : new String[] {"", "x", "1:2:3", "0:5", "1:-1", "1:y"}) {
            assertThatThrownBy(() -> LinkEmulation.parse(bad)).as(bad).isExactlyInstanceOf(InvalidArgumentException.class)
                    .hasMessageContaining("GBPS:LATENCY_US").hasMessageContaining("'" + bad + "'");
            assertThatThrownBy(() -> InterconnectEstimate.parse(bad)).as(bad)
                    .isExactlyInstanceOf(InvalidArgumentException.class);
        }
    }
}
