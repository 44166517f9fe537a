package dev.tandem.deepseek.cli;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.WeightSource;
import dev.tandem.deepseek.weights.CheckpointWriter;
import dev.tandem.deepseek.weights.LayerWeights;
import dev.tandem.deepseek.weights.SafetensorsFile;
import dev.tandem.deepseek.weights.SafetensorsWriter;
import dev.tandem.deepseek.weights.StDType;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The forward CLI end to end on a small checkpoint written by the test. */
class ForwardCommandTest {
    static final DeepSeekConfig C = DeepSeekConfig.preset("tiny-v3");
    static final int[] LENS = {4, 3};
    static final int T = 7;

    @TempDir
    static Path dir;
    static Path model;
    static Path input;
    static float[] hidden;
    static long[] positions = {0, 1, 2, 3, 0, 1, 2};

    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ForwardCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void checkpoint() {
        model = dir.resolve("tiny");
        CheckpointWriter.write(model, C, List.of(LayerWeights.random(C, 0, 3), LayerWeights.random(C, 1, 3)),
                StDType.F32, true);
        hidden = new float[T * C.hiddenSize()];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) r.nextGaussian();
        }
        input = dir.resolve("in.safetensors");
        new SafetensorsWriter().addF32("hidden_states", new long[]{T, C.hiddenSize()}, hidden)
                .addI64("positions", new long[]{T}, positions)
                .addI32("seq_lens", new long[]{2}, LENS)
                .write(input);
    }

    static float[] expected() {
        List<DecoderRunner.Request> reqs = new ArrayList<>();
        int d = C.hiddenSize();
        reqs.add(new DecoderRunner.Request(0, Arrays.copyOfRange(hidden, 0, 4 * d), new int[]{0, 1, 2, 3}));
        reqs.add(new DecoderRunner.Request(1, Arrays.copyOfRange(hidden, 4 * d, 7 * d), new int[]{0, 1, 2}));
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(1));
             DecoderRunner runner = new DecoderRunner(rt, C, WeightSource.random(C, 3), 0, 2, DecoderRunner.Options.defaults(1))) {
            return runner.forward(reqs);
        }
    }

    static float[] readOutput(Path p) {
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.tensor("hidden_states").shape()).containsExactly(T, C.hiddenSize());
            assertThat(f.tensor("hidden_states").dtype()).isEqualTo(StDType.F32);
            assertThat(f.tensor("seq_lens").toLongs()).containsExactly(4, 3);
            return f.tensor("hidden_states").toFloats();
        }
    }

    @Test
    void forwardOverACheckpointMatchesTheRunner() {
        Path out = dir.resolve("out.safetensors");
        Result r = cli("forward", "--model", model.toString(), "--layers", "0:2", "--input", input.toString(),
                "--output", out.toString(), "--ranks", "2", "--backend", "host");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("forward of 7 tokens in 2 request(s)").contains("wrote");
        assertThat(readOutput(out)).containsExactly(expected());

        Path tp = dir.resolve("tp.safetensors");
        r = cli("--model", model.toString(), "--layers", "0:2", "--input", input.toString(), "--output", tp.toString(),
                "--ranks", "2", "--attention", "tp", "--schedule", "dbo", "--micro-batches", "2");
        assertThat(r.code()).as(r.err()).isZero();
        float[] a = readOutput(tp);
        float[] b = expected();
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(a[i] - b[i])).isLessThan(1e-4f * Math.max(1, Math.abs(b[i])));
        }
    }

    @Test
    void warmupAndRepeatReportTheMedianTokensPerSecondPeakMemoryAndTheGemm() {
        Path out = dir.resolve("repeat.safetensors");
        Result r = cli("--model", model.toString(), "--layers", "0:2", "--input", input.toString(),
                "--output", out.toString(), "--warmup", "1", "--repeat", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("GEMM: ").containsPattern("median [0-9.]+ s over 3 run\\(s\\) after 1 warm-up")
                .containsPattern("[0-9]+ tokens/s").contains("peak RSS");
        // Every repeat is a fresh prefill (KV caches released), so the output is the single forward's.
        assertThat(readOutput(out)).containsExactly(expected());
        r = cli("--model", model.toString(), "--layers", "0:2", "--input", input.toString(), "--output",
                out.toString(), "--repeat", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--repeat must be at least 1");
    }

    @Test
    void onlyTheRequestedLayersAreRead() {
        Path partial = dir.resolve("partial");
        CheckpointWriter.write(partial, C, List.of(LayerWeights.random(C, 1, 3)), StDType.BF16, false);
        Path out = dir.resolve("l1.safetensors");
        Result r = cli("--model", partial.toString(), "--layers", "1:2", "--input", input.toString(), "--output", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        r = cli("--model", partial.toString(), "--layers", "0:2", "--input", input.toString(), "--output", out.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("model.safetensors").contains("model.layers.0.");
    }

    @Test
    void presetRunsWithoutFiles() {
        Path out = dir.resolve("preset.safetensors");
        Path trace = dir.resolve("trace.json");
        Result r = cli("forward", "--preset", "tiny-v2lite", "--random-seed", "5", "--tokens", "6", "--seq-lens", "2,4",
                "--ranks", "2", "--micro-batches", "2", "--mla", "absorbed", "--schedule", "dbo", "--link", "100:5", "--output", out.toString(), "--trace", trace.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("forward of 6 tokens in 2 request(s)").doesNotContain("NON-FINITE");
        assertThat(trace).exists();
        assertThat(r.out()).contains("micro-batches: 2").contains("device 1: wall");
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertThat(f.tensor("hidden_states").shape()).containsExactly(6, 256);
        }
    }

    @Test
    void autoCanBeDecidedByTheCapacityPlanner() {
        Result r = cli("forward", "--preset", "tiny-v3", "--random-seed", "1", "--tokens", "8", "--seq-lens", "4,4",
                "--layers", "1:2", "--ranks", "2", "--schedule", "auto", "--advisor", "planned", "--advisor-hardware", "h800");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("schedule advisor: capacity planner on 2 x h800")
                .contains("schedule auto: capacity planner for prefill 2x4 + decode 0x0 on 2 x h800, simulated in ")
                .contains("capacity planner: 1 batch shape(s) simulated in");
        String[] base = {"--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3"};
        assertThat(cli(concat(base, "--advisor", "planned")).err()).contains("--advisor only applies to --schedule auto");
        assertThat(cli(concat(base, "--schedule", "auto", "--advisor", "oracle")).err())
                .contains("--advisor must be analytic or planned, got 'oracle'");
        assertThat(cli(concat(base, "--schedule", "auto", "--advisor-hardware", "h800")).err())
                .contains("--advisor-hardware only applies to --advisor planned");
        Result unknown = cli(concat(base, "--schedule", "auto", "--advisor", "planned", "--advisor-hardware", "x9"));
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("--advisor-hardware: unknown hardware profile 'x9'");
        assertThat(cli("--help").out()).contains("--advisor NAME").contains("--advisor-hardware P");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void usageErrorsExplainThemselves() {
        assertThat(cli()).satisfies(r -> {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("--model DIR or --preset NAME is required").contains("usage:");
        });
        assertThat(cli("--model", "x", "--layers", "0:1", "--input", "i").err()).contains("--output is required");
        assertThat(cli("--preset", "tiny-v3", "--tokens", "3").err()).contains("--random-seed is required");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--bogus", "1").err())
                .contains("unknown option --bogus");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--ranks", "0").err())
                .contains("--ranks must be at least 1");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--layers", "2:1").err())
                .contains("--layers 2:1 is not a non-empty range");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--attention", "pp").err())
                .contains("--attention must be dp or tp");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--seq-lens", "1,1").err())
                .contains("--seq-lens sum to 2 but --tokens is 3");
        assertThat(cli("--preset", "nope", "--random-seed", "1", "--tokens", "3").err()).contains("unknown preset");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--ranks", "3").err())
                .contains("n_routed_experts (16) must be divisible by the 3");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--backend", "nosuch").err())
                .contains("unknown backend 'nosuch'");
        assertThat(cli("--model", dir.resolve("none").toString(), "--layers", "0:1", "--input", input.toString(),
                "--output", "o").err()).contains("none").contains("not found");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--link", "fast").err())
                .contains("--link: a link needs GBPS or GBPS:LATENCY_US").contains("'fast'");
        assertThat(cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--schedule", "magic").err())
                .contains("--schedule must be sequential, dbo or auto");
        assertThat(cli("--help").out()).contains("usage:");
    }

    @Test
    void badInputFilesNameTheTensor() {
        Path bad = dir.resolve("bad.safetensors");
        new SafetensorsWriter().addF32("hidden_states", new long[]{T, C.hiddenSize()}, hidden)
                .addI64("positions", new long[]{T}, positions)
                .addI32("seq_lens", new long[]{2}, new int[]{4, 4})
                .write(bad);
        Result r = cli("--model", model.toString(), "--layers", "0:1", "--input", bad.toString(), "--output", "o");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("bad.safetensors").contains("seq_lens").contains("sum to 8");
        Path wrongDim = dir.resolve("dim.safetensors");
        new SafetensorsWriter().addF32("hidden_states", new long[]{T, 3}, new float[T * 3])
                .addI64("positions", new long[]{T}, positions).addI32("seq_lens", new long[]{1}, new int[]{T}).write(wrongDim);
        r = cli("--model", model.toString(), "--layers", "0:1", "--input", wrongDim.toString(), "--output", "o");
        assertThat(r.err()).contains("hidden_states").contains("must be [T, 512]");
        Path noPos = dir.resolve("nopos.safetensors");
        new SafetensorsWriter().addFloats("hidden_states", StDType.BF16, new long[]{T, C.hiddenSize()}, hidden)
                .addI32("seq_lens", new long[]{1}, new int[]{T}).write(noPos);
        r = cli("--model", model.toString(), "--layers", "0:1", "--input", noPos.toString(), "--output", "o");
        assertThat(r.err()).contains("nopos.safetensors").contains("'positions'").contains("not found");
    }

    @Test
    void oversizedEmptyAndNonFiniteInputsFailWithAMessageNotACrash() {
        // tokens x hidden past an int: no NegativeArraySizeException, no wrap past the check, no OutOfMemoryError
        for (String tokens : List.of("2147483647", "8388609", "4000000")) {
            Result r = cli("--preset", "deepseek-v3", "--random-seed", "1", "--tokens", tokens, "--layers", "3:4");
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).contains("--tokens " + tokens).contains("hidden_size 7168").contains("GiB")
                    .doesNotContain("Exception");
        }
        Result big = cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "4000000");
        assertThat(big.code()).isEqualTo(1);
        assertThat(big.err()).contains("need about").contains("-Xmx");

        Path huge = dir.resolve("huge-lens.safetensors");
        new SafetensorsWriter().addF32("hidden_states", new long[]{T, C.hiddenSize()}, hidden)
                .addI64("positions", new long[]{T}, positions)
                .addI64("seq_lens", new long[]{2}, new long[]{1L << 40, 3})
                .write(huge);
        Result r = cli("--model", model.toString(), "--layers", "0:1", "--input", huge.toString(), "--output", "o");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("huge-lens.safetensors").contains("seq_lens").contains("more than the 7 tokens")
                .doesNotContain("ArithmeticException");

        Path empty = dir.resolve("empty.safetensors");
        new SafetensorsWriter().addF32("hidden_states", new long[]{0, C.hiddenSize()}, new float[0])
                .addI64("positions", new long[]{0}, new long[0]).addI32("seq_lens", new long[]{0}, new int[0]).write(empty);
        r = cli("--model", model.toString(), "--layers", "0:1", "--input", empty.toString(), "--output", "o");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("empty.safetensors").contains("hidden_states").contains("0 tokens");

        float[] nan = hidden.clone();
        nan[C.hiddenSize() + 2] = Float.NaN;
        Path withNan = dir.resolve("nan.safetensors");
        new SafetensorsWriter().addF32("hidden_states", new long[]{T, C.hiddenSize()}, nan)
                .addI64("positions", new long[]{T}, positions).addI32("seq_lens", new long[]{2}, LENS).write(withNan);
        r = cli("--model", model.toString(), "--layers", "0:2", "--input", withNan.toString(), "--output", "o");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("nan.safetensors").contains("hidden_states").contains("[1, 2] is NaN")
                .doesNotContain("router");
    }

    @Test
    void anUnknownBackendIsAUsageError() {
        Result r = cli("--preset", "tiny-v3", "--random-seed", "1", "--tokens", "3", "--backend", "cuda");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cuda").contains("usage:").doesNotContain("\tat ");
    }
}
