package dev.tandem.deepseek.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The one command-line entry and the serving benchmark behind it. */
class MainTest {
    record Result(int code, String out, String err) {
    }

    static Result tandem(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void commandsAreDispatchedAndMistakesAreUsageErrors() {
        assertThat(tandem().code()).isEqualTo(2);
        assertThat(tandem("--help").out()).contains("forward").contains("bench-serving");
        Result unknown = tandem("serve-all");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown command 'serve-all'");
        assertThat(tandem("forward", "--help").out()).contains("forward --model DIR");
        Result forward = tandem("forward", "--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--layers", "0:1");
        assertThat(forward.code()).as(forward.err()).isZero();
        assertThat(forward.out()).contains("forward of 3 tokens");
        assertThat(tandem("bench-serving", "--help").out()).contains("--request-rate");
        assertThat(tandem("bench-serving", "--preset", "tiny-v3", "--schedule", "fast").err())
                .contains("--schedule must be sequential, dbo or auto");
        assertThat(tandem("bench-serving", "--preset", "tiny-v3", "--request-rate", "-1").code()).isEqualTo(2);
        assertThat(tandem("bench-serving", "--preset", "tiny-v3", "--backend", "cuda").code()).isEqualTo(2);
    }

    @Test
    void benchServingCanScheduleWithTheCapacityPlannerWarmedAtStart() {
        Result r = tandem("bench-serving", "--preset", "tiny-v2lite", "--input-len", "16", "--num-prompts", "4",
                "--max-concurrency", "2", "--link", "5:5", "--advisor", "planned", "--advisor-hardware", "h800");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("schedule advisor: capacity planner on 2 x h800")
                .contains("capacity planner warmed with 2 batch shape(s)").contains("Serving Benchmark Result (auto)")
                .contains("batch shape(s) simulated in");
        assertThat(tandem("bench-serving", "--preset", "tiny-v3", "--compare", "--advisor", "planned").err())
                .contains("--advisor only applies to --schedule auto");
        assertThat(tandem("bench-serving", "--help").out()).contains("--advisor NAME");
    }

    @Test
    void benchServingComparesSchedulesAndReportsTheSeedsFigures() {
        Result r = tandem("bench-serving", "--preset", "tiny-v2lite", "--input-len", "24", "--output-len", "3",
                "--num-prompts", "6", "--request-rate", "200", "--max-concurrency", "3", "--link", "5:5", "--compare");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Serving Benchmark Result (sequential)").contains("Serving Benchmark Result (dbo)")
                .contains("Successful requests:                     6").contains("Request throughput (req/s):")
                .contains("Input token throughput (tok/s):").contains("Median TTFT (ms):").contains("P99 TTFT (ms):")
                .contains("Mean ITL (ms):").contains("P90 ITL (ms):").contains("request throughput ratio:")
                .doesNotContain("Failed requests");
    }
}
