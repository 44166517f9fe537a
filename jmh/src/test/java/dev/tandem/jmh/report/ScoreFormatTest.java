package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ScoreFormatTest {

    @Test
    void fourSignificantDigitsAndWholeNumbersFromAThousand() {
        assertThat(ScoreFormat.score(6.4)).isEqualTo("6.400");
        assertThat(ScoreFormat.score(0.009161642266889449)).isEqualTo("0.009162");
        assertThat(ScoreFormat.score(999.96)).isEqualTo("1000");
        assertThat(ScoreFormat.score(123456.7)).isEqualTo("123457");
        assertThat(ScoreFormat.score(0)).isEqualTo("0");
        assertThat(ScoreFormat.score(Double.NaN)).isEqualTo("NaN");
    }

    @Test
    void errorFollowsTheScoresDecimals() {
        assertThat(ScoreFormat.error(0.98765, 12.3456)).isEqualTo("0.99");
        assertThat(ScoreFormat.error(52.44, 123456.7)).isEqualTo("52");
        assertThat(ScoreFormat.error(Double.NaN, 1)).isEqualTo("\u2013");
    }
}
