package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

class OverlapRowsTest {
    private final List<BenchmarkResult> layers = JmhResultsFile.parse(Samples.text(Samples.LAYER_RESULTS));

    @Test
    void pairsEachOverlappedScheduleWithTheSequentialRunOfTheSameOtherParams() {
        List<OverlapRow> rows = OverlapRows.derive(layers);

        // The overlap3 run at tokens=512 has no sequential partner and is left out.
        assertThat(rows).extracting(OverlapRow::params, OverlapRow::schedule).containsExactly(
                tuple("layers=1:2, link=0.05:50, preset=tiny-v3, ranks=2, tokens=256", "dbo"),
                tuple("layers=1:2, link=0.05:50, preset=tiny-v3, ranks=2, tokens=256", "overlap3"),
                tuple("layers=1:3, link=0.05:50, preset=tiny-v3, ranks=2, tokens=256", "dbo"));
    }

    @Test
    void speedupIdealAndAchievedFractionComeFromThroughputsAndTheSequentialBusyFractions() {
        OverlapRow dbo = OverlapRows.derive(layers).get(0);

        // 5.0 / 4.0 forwards per second; sequential C = 0.6, M = 0.3, so ideal (0.6 + 0.3) / 0.6 = 1.5.
        assertThat(dbo.speedup()).isCloseTo(1.25, within(1e-12));
        assertThat(dbo.computeBusy()).isEqualTo(0.6);
        assertThat(dbo.commBusy()).isEqualTo(0.3);
        assertThat(dbo.idealSpeedup()).isCloseTo(1.5, within(1e-12));
        assertThat(dbo.achievedFraction()).isCloseTo(0.5, within(1e-12));
        // Relative errors 0.1 and 0.1 combine to 0.1 * sqrt(2) of the ratio.
        assertThat(dbo.speedupError()).isCloseTo(1.25 * 0.1 * Math.sqrt(2), within(1e-12));
    }

    @Test
    void anUnknownErrorOnEitherSideLeavesTheSpeedupErrorUnknown() {
        OverlapRow overlap3 = OverlapRows.derive(layers).get(1);

        assertThat(overlap3.speedup()).isCloseTo(1.2, within(1e-12));
        assertThat(overlap3.speedupError()).isNaN();
        assertThat(overlap3.achievedFraction()).isCloseTo(0.4, within(1e-12));
    }

    @Test
    void withoutCommunicationThereIsNoGainToAchieve() {
        OverlapRow row = new OverlapRow("B.m", "", "dbo", 1.0, Double.NaN, 0.8, 0.0);

        assertThat(row.idealSpeedup()).isEqualTo(1.0);
        assertThat(row.achievedFraction()).isNaN();
    }

    @Test
    void resultsWithoutAScheduleParameterGiveNoRows() {
        assertThat(OverlapRows.derive(JmhResultsFile.parse(Samples.text(Samples.RESULTS)))).isEmpty();
    }

    @Test
    void overlapSectionShowsOneRowPerOverlappedSchedule() {
        String section = OverlapTable.section(OverlapRows.derive(layers));

        assertThat(section).startsWith("## Overlap\n\n").contains("(C+M)/max(C,M)", "not a real interconnect");
        assertThat(section.lines().filter(l -> l.startsWith("| "))).containsExactly(
                "| benchmark | params | schedule | speed-up | error | ideal | of ideal gain | C | M |",
                "| LayerBenchmarks.forward | layers=1:2, link=0.05:50, preset=tiny-v3, ranks=2, tokens=256 | dbo | 1.250x | \u00b1 0.177 | 1.500x | 50% | 60% | 30% |",
                "| LayerBenchmarks.forward | layers=1:2, link=0.05:50, preset=tiny-v3, ranks=2, tokens=256 | overlap3 | 1.200x | \u2013 | 1.500x | 40% | 60% | 30% |",
                "| LayerBenchmarks.forward | layers=1:3, link=0.05:50, preset=tiny-v3, ranks=2, tokens=256 | dbo | 1.500x | \u2013 | 2.000x | 50% | 50% | 50% |");
        assertThat(OverlapTable.section(List.of())).isEmpty();
    }
}
