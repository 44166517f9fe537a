package dev.tandem.deepseek.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PlanCommandTest {
    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void argumentErrorsExitWithTwoAndSayWhatIsWrong() {
        assertThat(run("plan", "--hardware", "h800", "--prefill", "1x1")).satisfies(r -> {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("--model is required");
        });
        assertThat(run("plan", "--model", "deepseek-r1", "--hardware", "tpu", "--prefill", "1x1").err())
                .contains("unknown hardware profile 'tpu'").contains("910b2");
        assertThat(run("plan", "--model", "deepseek-r1", "--hardware", "h800", "--prefill", "4by9").err())
                .contains("--prefill must be COUNTxLENGTH");
        assertThat(run("plan", "--model", "deepseek-r1", "--hardware", "h800", "--prefill", "1x1", "--ep", "12").err())
                .contains("--ep 12 must equal");
        assertThat(run("plan", "--model", "deepseek-r1", "--hardware", "910b3", "--prefill", "1x1", "--quant", "fp8"))
                .satisfies(r -> {
                    assertThat(r.code()).isEqualTo(2);
                    assertThat(r.err()).contains("910b3 does not have");
                });
        assertThat(run("plan", "--model", "deepseek-r1", "--hardware", "h800").err()).contains("--prefill COUNTxLEN");
        assertThat(run("plan", "--model", "deepseek-r1", "--hardware", "h800", "--prefill", "1x1", "--bogus", "1")
                .code()).isEqualTo(2);
        assertThat(run("plan", "--model", "nope", "--hardware", "h800", "--prefill", "1x1").err()).contains("unknown preset");
        assertThat(run("launch").code()).isEqualTo(2);
        assertThat(run().code()).isEqualTo(2);
    }

    @Test
    void aPlanPrintsEverySchedulesPredictionAndWritesJsonAndTrace(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("plan.json");
        Path trace = dir.resolve("trace.json");
        Result r = run("plan", "--model", "deepseek-v2-lite", "--hardware", "h20", "--layers", "2",
                "--prefill", "8x512", "--json", json.toString(), "--trace", trace.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("sequential").contains("dbo").contains("pick: ").contains("hidden");
        assertThat(Files.readString(json)).contains("\"pick\"").contains("\"step_ms\"").contains("\"hardware\": \"h20\"");
        assertThat(Files.readString(trace)).contains("allToAllV");
    }

    @Test
    void aSweepWritesCsvAndSvg(@TempDir Path dir) throws Exception {
        String prefix = dir.resolve("sweep").toString();
        Result r = run("plan", "--model", "deepseek-v2-lite", "--hardware", "910b2", "--layers", "2",
                "--sweep", "tokens=64,512", "--out", prefix);
        assertThat(r.code()).as(r.err()).isZero();
        String csv = Files.readString(Path.of(prefix + ".csv"));
        assertThat(csv.lines()).hasSize(3);
        assertThat(csv).startsWith("tokens_per_device,").contains("\n64.0,").contains("\n512.0,");
        assertThat(Files.readString(Path.of(prefix + ".svg"))).startsWith("<svg").contains("<path");
    }

    /** deepseek-v3 with its 3 dense layers and one MoE layer on 4 x 8 H800 (EP 32). */
    private static Result v3OnH800(String... more) {
        String[] base = {"plan", "--model", "deepseek-v3", "--hardware", "h800", "--nodes", "4", "--layers", "4",
                "--schedule", "sequential"};
        String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return run(args);
    }

    @Test
    void thePlanSaysWhichRanksItSimulatedAndTheOptionForcesOrIsRefused(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("plan.json");
        Result subset = v3OnH800("--prefill", "32x256", "--json", json.toString());
        assertThat(subset.code()).as(subset.err()).isZero();
        assertThat(subset.out()).contains("simulated 8 of 32 ranks (every rank has the same batch and balanced "
                + "routing; collectives cost the full group's)");
        assertThat(Files.readString(json)).contains("\"simulated_ranks\": 8").contains("\"group_ranks\": 32");
        assertThat(v3OnH800("--prefill", "32x256", "--simulate-ranks", "all").out())
                .contains("simulated all 32 ranks (as asked)");
        assertThat(v3OnH800("--prefill", "32x256", "--simulate-ranks", "16").out())
                .contains("simulated 16 of 32 ranks (");
        assertThat(v3OnH800("--prefill", "33x256").out()).contains("simulated all 32 ranks (the ranks get different "
                + "batches");
        assertThat(v3OnH800("--prefill", "32x256", "--expert-skew", "zipf:1").out())
                .contains("simulated all 32 ranks (the zipf:1.00 routing loads the ranks' experts unevenly)");
        assertThat(v3OnH800("--prefill", "33x256", "--simulate-ranks", "8")).satisfies(r -> {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("cannot simulate 8 of 32 ranks: the ranks get different batches");
        });
        assertThat(v3OnH800("--prefill", "32x256", "--simulate-ranks", "3")).satisfies(r -> {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("--simulate-ranks 3 does not divide the expert-parallel group of 32 ranks");
        });
        assertThat(v3OnH800("--prefill", "32x256", "--simulate-ranks", "some")).satisfies(r -> {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("--simulate-ranks must be all, auto or a positive number of ranks");
        });
        assertThat(run("plan", "--help").out()).contains("--simulate-ranks all|auto|N")
                .contains("--simulate-ranks R");
    }
}
