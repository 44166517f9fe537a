package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.LeakCheck;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.tandem.deepseek.serving.EngineFixtures.hidden;
import static dev.tandem.deepseek.serving.EngineFixtures.positions;
import static org.assertj.core.api.Assertions.assertThat;

/** Steps show up as JFR events and in the metrics listener. */
class EngineObservabilityTest extends LeakCheck {

    @Test
    void stepsAreRecordedAsJfrEventsAndAggregatedByTheMetricsListener(@TempDir Path dir) throws Exception {
        EngineMetrics metrics = new EngineMetrics();
        Path file = dir.resolve("steps.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("dev.tandem.EngineStep");
            recording.start();
            try (DeepSeekEngine engine = EngineFixtures.engine().listener(metrics).tokenBudget(16).build()) {
                int d = engine.config().hiddenSize();
                CompletableFuture<StepResult> a = engine.submit(1, hidden(1, 20, d), positions(0, 20));
                CompletableFuture<StepResult> b = engine.submit(2, hidden(2, 3, d), positions(0, 3));
                assertThat(a.join().engineSteps()).isEqualTo(2);   // 20 tokens over a budget of 16: chunked
                b.join();
                engine.submit(2, hidden(3, 1, d), positions(3, 1)).join();
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.tandem.EngineStep")).toList();
        assertThat(events).isNotEmpty();
        assertThat(events.stream().mapToInt(e -> e.getInt("prefillTokens") + e.getInt("decodeTokens")).sum())
                .isEqualTo(24);
        assertThat(events).allSatisfy(e -> assertThat(e.getString("decision")).isNotBlank());
        EngineMetrics.Snapshot s = metrics.snapshot();
        assertThat(s.tokens()).isEqualTo(24);
        assertThat(s.completedSteps()).isEqualTo(3);
        assertThat(s.failedRequests()).isZero();
        assertThat(s.meanTimeToFirstOutputMillis()).isPositive();
        assertThat(s.stepP50Millis()).isPositive().isLessThanOrEqualTo(s.stepP99Millis());
        assertThat(s.toString()).contains("tok/s");
    }
}
