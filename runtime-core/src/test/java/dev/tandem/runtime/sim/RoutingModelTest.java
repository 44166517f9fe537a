package dev.tandem.runtime.sim;

import dev.tandem.runtime.InvalidArgumentException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutingModelTest {

    @Test
    void balancedRoutingSpreadsPairsEvenly() {
        int[] c = RoutingModel.balanced().counts(100, 8, 256);
        assertThat(Arrays.stream(c).sum()).isEqualTo(800);
        assertThat(Arrays.stream(c).max().orElseThrow() - Arrays.stream(c).min().orElseThrow()).isLessThanOrEqualTo(1);
        assertThat(RoutingModel.balanced().rankImbalance(256, 16)).isEqualTo(1.0);
    }

    @Test
    void skewConcentratesLoadButNeverGivesAnExpertMoreThanEveryToken() {
        RoutingModel z = RoutingModel.parse("zipf:1.2");
        int[] c = z.counts(64, 8, 32);
        assertThat(Arrays.stream(c).sum()).isEqualTo(512);
        assertThat(Arrays.stream(c).max().orElseThrow()).isEqualTo(64);
        assertThat(z.rankImbalance(256, 16)).isGreaterThan(1.2);
        assertThat(z.counts(64, 8, 32)).isEqualTo(c);    // deterministic
        assertThat(z.toString()).isEqualTo("zipf:1.20");
    }

    @Test
    void badSkewsAreRejected() {
        assertThatThrownBy(() -> RoutingModel.parse("lots")).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("zipf:S");
        assertThatThrownBy(() -> RoutingModel.parse("zipf:-1")).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> RoutingModel.balanced().counts(4, 9, 8)).isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void aRecordedRoutingIsReplayedPerDeviceAndCallAndRefusesAnotherJob() {
        RoutingModel r = RoutingModel.replay(List.of(
                List.of(new int[] {3, 1, 0, 0}, new int[] {0, 2, 2, 0}),
                List.of(new int[] {1, 1, 1, 1})));
        assertThat(r.isRecorded()).isTrue();
        assertThat(r.isBalanced()).isFalse();
        assertThat(r.counts(0, 1, 2, 2, 4)).containsExactly(0, 2, 2, 0);
        assertThat(r.counts(1, 0, 4, 1, 4)).containsExactly(1, 1, 1, 1);
        // totals over every call: expert 0 got 4 of 12 pairs, so the first half of the experts carries 7 / 12
        assertThat(r.shares(4)).containsExactly(4 / 12.0, 4 / 12.0, 3 / 12.0, 1 / 12.0);
        assertThat(r.rankImbalance(4, 2)).isCloseTo(2 * 8 / 12.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThatThrownBy(() -> r.counts(0, 2, 2, 2, 4)).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("no call 2 on device 0");
        assertThatThrownBy(() -> r.counts(0, 0, 3, 2, 4)).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("not the recorded one");
        assertThatThrownBy(() -> RoutingModel.replay(List.of(List.of(new int[2], new int[3]))))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("number of experts");
    }
}
