package dev.tandem.runtime.json;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {
    @Test
    void parsesAllValueKinds() {
        Map<String, Object> m = Json.parseObject("""
                {"a": 1, "b": -2.5e3, "c": "x\\"y\\u00e9\\n", "d": [true, false, null], "e": {"f": []}, "g": 12345678901234}
                """);
        assertThat(m.get("a")).isEqualTo(1L);
        assertThat(m.get("b")).isEqualTo(-2500.0);
        assertThat(m.get("c")).isEqualTo("x\"y\u00e9\n");
        assertThat(m.get("d")).isEqualTo(Arrays.asList(true, false, null));
        assertThat(m.get("e")).isEqualTo(Map.of("f", List.of()));
        assertThat(m.get("g")).isEqualTo(12345678901234L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":1} x", "\"abc", "01", "1.", "{\"a\":1,\"a\":2}",
            "tru", "{a:1}", "[\"\\q\"]", "-"})
    void rejectsMalformed(String text) {
        assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(Json.JsonException.class).hasMessageContaining("offset").hasMessageContaining("line");
    }

    @Test
    void writesAndReadsBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"\\\t");
        m.put("n", 3L);
        m.put("x", 0.707);
        m.put("l", List.of(1L, "two", false));
        m.put("z", null);
        assertThat(Json.parse(Json.write(m))).isEqualTo(m);
    }

    @Test
    void errorsNameLineAndColumn() {
        assertThatThrownBy(() -> Json.parse("{\n  \"a\": 1\n  \"b\": 2\n}"))
                .isExactlyInstanceOf(Json.JsonException.class)
                .hasMessage("malformed JSON at line 3, column 3 (offset 13): expected ',' or '}'");
        assertThatThrownBy(() -> Json.parse("[tru]")).hasMessageContaining("expected 'true'");
        assertThatThrownBy(() -> Json.parse("[] []")).hasMessageContaining("trailing");
    }

    @Test
    void nonFiniteTokensOnlyWhenAsked() {
        assertThatThrownBy(() -> Json.parse("[NaN]")).isExactlyInstanceOf(Json.JsonException.class)
                .hasMessageContaining("non-finite");
        List<Object> bare = castList(Json.parse("[NaN, Infinity, -Infinity, -1]", true));
        assertThat((Double) bare.get(0)).isNaN();
        assertThat(bare.subList(1, 4)).containsExactly((Object) Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1L);
    }

    @Test
    void quotesControlCharactersAndQuotes() {
        assertThat(Json.quote("a\"b\\c\n\u0001")).isEqualTo("\"a\\\"b\\\\c\\n\\u0001\"");
        assertThat(Json.parse(Json.quote("x\ty\u001f"))).isEqualTo("x\ty\u001f");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(Object value) {
        return (List<Object>) value;
    }
}
