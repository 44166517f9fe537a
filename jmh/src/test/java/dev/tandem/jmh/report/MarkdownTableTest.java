package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MarkdownTableTest {

    @Test
    void rendersHeaderAlignmentAndEscapedCells() {
        String md = new MarkdownTable(List.of("name", "value"), false, true)
                .row(List.of("a|b", "1.0"))
                .render();

        assertThat(md).isEqualTo("""
                | name | value |
                |---|---:|
                | a\\|b | 1.0 |
                """);
    }

    @Test
    void rowsMustMatchTheHeader() {
        assertThatThrownBy(() -> new MarkdownTable(List.of("a", "b")).row(List.of("1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("row has 1 cells, the table 2 columns");
    }
}
