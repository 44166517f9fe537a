package dev.tandem.runtime.api;

import dev.tandem.runtime.StreamRole;
import dev.tandem.runtime.trace.OverlapMetrics;
import dev.tandem.runtime.trace.TimelineSvg;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class OverlapMetricsTest {
    private static final long MS = 1_000_000;

    private static TraceSpan span(StreamRole role, String name, String tag, long startMs, long endMs) {
        return new TraceSpan(0, 0, role == StreamRole.COMPUTE ? "compute" : "comm", role, name, tag, startMs * MS, endMs * MS);
    }

    @Test
    void computesBusyHiddenExposedAndBubbles() {
        List<TraceSpan> spans = List.of(
                span(StreamRole.COMPUTE, "matmul", "mb0/L0/attention", 0, 10),
                span(StreamRole.COMPUTE, "matmul", "mb1/L0/attention", 10, 20),
                span(StreamRole.COMM, "allToAllV", "mb0/L0/dispatch", 10, 16),
                span(StreamRole.COMM, "waitEvent(compute)", null, 16, 22),
                span(StreamRole.COMM, "allToAllV", "mb1/L0/dispatch", 20, 26),
                span(StreamRole.COMPUTE, "matmul", "mb0/L0/experts", 26, 30));
        OverlapMetrics m = OverlapMetrics.of(0, spans);
        assertThat(m.wallNanos()).isEqualTo(30 * MS);
        assertThat(m.computeNanos()).isEqualTo(24 * MS);
        assertThat(m.commNanos()).isEqualTo(12 * MS);
        assertThat(m.hiddenCommNanos()).isEqualTo(6 * MS);
        assertThat(m.exposedCommNanos()).isEqualTo(6 * MS);
        assertThat(m.hiddenPercent()).isCloseTo(50.0, within(1e-9));
        assertThat(m.bubbleNanos()).isEqualTo(6 * MS);
        assertThat(m.bubbles()).isEqualTo(1);
        assertThat(m.idealNanos()).isEqualTo(24 * MS);
        assertThat(m.idealSpeedup()).isCloseTo(1.5, within(1e-9));
        String svg = TimelineSvg.render(spans, "test", 900);
        assertThat(svg).startsWith("<svg").contains("rank 0 · compute").contains("attention").contains("ms</text>")
                .endsWith("</svg>\n");
    }

    @Test
    void noCommunicationMeansEverythingHidden() {
        OverlapMetrics m = OverlapMetrics.of(0, List.of(span(StreamRole.COMPUTE, "add", null, 0, 5)));
        assertThat(m.hiddenPercent()).isEqualTo(100.0);
        assertThat(m.idealSpeedup()).isEqualTo(1.0);
    }
}
