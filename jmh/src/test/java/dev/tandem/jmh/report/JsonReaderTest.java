package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonReaderTest {

    @Test
    void readsObjectsArraysAndScalarsInOrder() {
        Object value = JsonReader.parse(" {\"b\": [1, -2.5e3, true, false, null], \"a\": {\"s\": \"x\\\"\\n\\u00b7\"}} ");

        assertThat(value).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) value;
        assertThat(object.keySet()).containsExactly("b", "a");
        assertThat(object.get("b")).isEqualTo(java.util.Arrays.asList(1.0, -2500.0, true, false, null));
        assertThat(((Map<?, ?>) object.get("a")).get("s")).isEqualTo("x\"\n\u00b7");
    }

    @Test
    void readsEmptyContainers() {
        assertThat(JsonReader.parse("[]")).isEqualTo(List.of());
        assertThat(JsonReader.parse("{ }")).isEqualTo(Map.of());
    }

    @Test
    void nonFiniteNumbersAsJmhWritesThemAndAsBareTokens() {
        assertThat(JsonReader.numberValue(JsonReader.parse("\"NaN\""))).isNaN();
        assertThat(JsonReader.numberValue(JsonReader.parse("\"Infinity\""))).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(JsonReader.numberValue(JsonReader.parse("\"-Infinity\""))).isEqualTo(Double.NEGATIVE_INFINITY);
        List<?> bare = (List<?>) JsonReader.parse("[NaN, -Infinity]");
        assertThat((Double) bare.get(0)).isNaN();
        assertThat(bare.get(1)).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void aStringThatIsNotANumberIsRejectedAsANumber() {
        assertThatThrownBy(() -> JsonReader.numberValue("fast")).isInstanceOf(ReportException.class)
                .hasMessageContaining("expected a number but found fast");
    }

    @Test
    void malformedInputNamesLineAndColumn() {
        assertThatThrownBy(() -> JsonReader.parse("{\n  \"a\": 1\n  \"b\": 2\n}"))
                .isInstanceOf(MalformedJsonException.class)
                .hasMessage("malformed JSON at line 3, column 3: expected ',' or '}' but found '\"'");
    }

    @Test
    void truncatedInputSaysWhatWasExpected() {
        assertThatThrownBy(() -> JsonReader.parse("[1, 2"))
                .isInstanceOf(MalformedJsonException.class)
                .hasMessageContaining("unexpected end of input, expected ',' or ']'");
        assertThatThrownBy(() -> JsonReader.parse("\"open"))
                .isInstanceOf(MalformedJsonException.class)
                .hasMessageContaining("expected closing '\"'");
    }

    @Test
    void rejectsTrailingTextAndBadTokens() {
        assertThatThrownBy(() -> JsonReader.parse("[] []")).hasMessageContaining("unexpected text after the JSON value");
        assertThatThrownBy(() -> JsonReader.parse("[tru]")).hasMessageContaining("expected 'true'");
        assertThatThrownBy(() -> JsonReader.parse("[1.]")).hasMessageContaining("expected a digit after '.'");
        assertThatThrownBy(() -> JsonReader.parse("")).hasMessageContaining("unexpected end of input, expected a value");
    }
}
