package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** JMH writes non-finite scores as strings; everything else about its JSON is Tandem's one JSON reader's job. */
class JmhNumbersTest {

    @Test
    void nonFiniteNumbersAsJmhWritesThem() {
        assertThat(JmhResultsFile.numberValue("NaN")).isNaN();
        assertThat(JmhResultsFile.numberValue("Infinity")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(JmhResultsFile.numberValue("-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(JmhResultsFile.numberValue(3L)).isEqualTo(3.0);
        assertThat(JmhResultsFile.numberValue(2.5)).isEqualTo(2.5);
    }

    @Test
    void aStringThatIsNotANumberIsRejected() {
        assertThatThrownBy(() -> JmhResultsFile.numberValue("fast")).isExactlyInstanceOf(ReportException.class)
                .hasMessageContaining("expected a number but found fast");
    }

    @Test
    void malformedResultsNameLineAndColumn() {
        assertThatThrownBy(() -> JmhResultsFile.parse("[\n  {\"a\": 1\n  \"b\": 2}\n]"))
                .isExactlyInstanceOf(ReportException.class).hasMessageContaining("line 3, column 3");
    }
}
