package dev.tandem.deepseek.dbo;

import dev.tandem.deepseek.model.LeakCheck;
import dev.tandem.deepseek.demo.OverlapDemo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The overlap demo end to end on a small batch: exit code, the table, and the trace and timeline files. */
class DboDemoTest extends LeakCheck {

    record Result(int rc, String out, String err) {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            rc = OverlapDemo.run(args, o, e);
        }
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void smallDemoRunsAndWritesTraceAndTimeline(@TempDir Path tmp) throws Exception {
        Result r = run("--tokens", "64", "--requests", "4", "--warmup", "0", "--iterations", "1", "--out",
                tmp.toString(), "--link", "0.05:20");
        assertThat(r.rc()).as("exit code; stdout:%n%s%nstderr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("| schedule |").contains("| sequential |").contains("| dbo (2 micro-batches) |")
                .contains("bitwise identical").doesNotContain("DIFFERENT");
        assertThat(r.err()).isEmpty();
        Path trace = tmp.resolve("trace.json");
        Path svg = tmp.resolve("timeline.svg");
        assertThat(trace).isRegularFile();
        assertThat(svg).isRegularFile();
        assertThat(Files.readString(trace)).contains("traceEvents").contains("allToAllV").contains("mb1/");
        assertThat(Files.readString(svg)).startsWith("<").contains("<svg");
        assertThat(tmp.resolve("trace-sequential.json")).isRegularFile();
    }

    /**
     * An odd request count puts the planner's cut inside a prefill request. The DBO result must still be
     * bitwise identical to the (unsplit) sequential reference the demo compares against; under MlaMode.AUTO it was
     * not: the cut's second chunk (few queries over a longer context) switched to the absorbed MLA form, which
     * agrees with the naive form only up to rounding, and the demo reported DIFFERENT and exited 1.
     */
    @Test
    void cutInsideARequestIsStillBitwiseIdentical(@TempDir Path tmp) {
        Result r = run("--tokens", "64", "--requests", "3", "--warmup", "0", "--iterations", "1", "--out",
                tmp.toString(), "--link", "0.05:20");
        assertThat(r.out()).contains("a prefill request is cut at a token boundary");
        assertThat(r.rc()).as("exit code; stdout:%n%s%nstderr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("bitwise identical").doesNotContain("DIFFERENT");
    }

    @Test
    void unknownOptionIsAUsageError(@TempDir Path tmp) {
        Result r = run("--tokens", "64", "--frobnicate", "3", "--out", tmp.toString());
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("unknown option --frobnicate").contains("usage: overlap-demo");
        assertThat(r.out()).isEmpty();
        assertThat(tmp.resolve("trace.json")).doesNotExist();
    }

    @Test
    void optionWithoutValueAndBadNumbersAreUsageErrors() {
        assertThat(run("--tokens").rc()).isEqualTo(2);
        assertThat(run("--tokens", "lots").rc()).isEqualTo(2);
        assertThat(run("--link", "fast").rc()).isEqualTo(2);
        assertThat(run("--iterations", "0").rc()).isEqualTo(2);
    }

    @Test
    void helpPrintsUsageAndSucceeds() {
        Result r = run("--help");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).contains("usage: overlap-demo").contains("--link");
    }
}
