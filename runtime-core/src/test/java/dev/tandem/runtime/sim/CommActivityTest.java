package dev.tandem.runtime.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The union of communication intervals and the end of work slowed by it, by hand (slow-down 1.5). */
class CommActivityTest {
    @Test
    void overlappingAndTouchingIntervalsMergeAndWorkIntegratesOverThem() {
        CommActivity a = new CommActivity();
        a.add(100, 200);
        a.add(150, 300);     // overlaps: [100, 300)
        a.add(300, 400);     // touches: [100, 400)
        a.add(1000, 1100);
        a.add(500, 500);     // empty: ignored
        assertThat(a.size()).isEqualTo(2);
        // 100 free, then 300 ns at 2/3 speed (200 of work), then 100 free: 500 ns of work ends at 500
        assertThat(a.end(0, 400, 1.5, Long.MAX_VALUE)).isEqualTo(500);
        // inside [100, 400): 150 of work takes 225
        assertThat(a.end(100, 150, 1.5, Long.MAX_VALUE)).isEqualTo(325);
        // from 900: 100 free, [1000, 1100) gives 66.7, the rest free
        assertThat(a.end(900, 300, 1.5, Long.MAX_VALUE)).isEqualTo(1000 + 100 + 133);
        // a collective still running from 450 on: everything after it is slowed
        assertThat(a.end(440, 100, 1.5, 450)).isEqualTo(450 + 135);
        // no communication after the start: the plain cost
        assertThat(a.end(2000, 100, 1.5, Long.MAX_VALUE)).isEqualTo(2100);
        a.forgetBefore(450);
        assertThat(a.size()).isEqualTo(1);
    }
}
