package dev.tandem.runtime.sim;

import dev.tandem.runtime.InvalidArgumentException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

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
}
