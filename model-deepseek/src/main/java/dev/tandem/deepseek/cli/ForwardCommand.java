package dev.tandem.deepseek.cli;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.MlaMode;
import dev.tandem.deepseek.weights.Checkpoint;
import dev.tandem.deepseek.weights.HostTensor;
import dev.tandem.deepseek.weights.SafetensorsException;
import dev.tandem.deepseek.weights.SafetensorsFile;
import dev.tandem.deepseek.weights.SafetensorsWriter;
import dev.tandem.deepseek.weights.StDType;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.deepseek.serving.ForwardResult;
import dev.tandem.deepseek.serving.ScheduleChoice;
import dev.tandem.runtime.BackendNotFoundException;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LinkEmulation;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code forward}: runs DeepSeek decoder layers on hidden states.
 *
 * <pre>
 * forward --model DIR --layers A:B --input IN.safetensors --output OUT.safetensors
 *         [--ranks P] [--attention dp|tp] [--backend NAME]
 * forward --preset NAME --random-seed S --tokens T [--layers A:B] [--output OUT.safetensors] ...
 * </pre>
 */
public final class ForwardCommand {
    static final String USAGE = """
            usage:
              forward --model DIR --layers A:B --input IN.safetensors --output OUT.safetensors [options]
              forward --preset NAME --random-seed S --tokens T [--layers A:B] [--output OUT.safetensors] [options]

            DIR holds a HuggingFace DeepSeek V2/V2-Lite/V3 config.json and safetensors weights (single file or
            sharded with model.safetensors.index.json; F32/BF16/F16/FP8-e4m3 with block scales). Decoder layers
            A..B-1 run on the input; only those layers (and on each rank only its experts) are read.
            IN holds hidden_states [T,hidden] F32/BF16, positions [T] I32/I64 and seq_lens [R] I32/I64 summing
            to T (one entry per request; tokens are causal within a request). OUT receives hidden_states
            [T,hidden] F32 (plus positions and seq_lens).
            With --preset, weights are seeded random (N(0,1/sqrt(fan_in)), norms 1+0.2N(0,1)) and the input is T
            seeded random tokens (positions 0..T-1, one request unless --seq-lens is given).

            options:
              --ranks P              in-process ranks (devices); experts are split over them (default 1)
              --attention dp|tp      data-parallel attention (own requests per rank) or tensor-parallel heads (default dp)
              --backend NAME         runtime backend (default: -Dtandem.backend, TANDEM_BACKEND, else host)
              --seq-lens a,b,...     request lengths for --preset inputs (default: one request of T tokens)
              --micro-batches M      split the batch into M micro-batches (token-balanced; may cut a prefill) (default 1)
              --schedule NAME        sequential; dbo: dual-batch overlap of the micro-batches (2 unless --micro-batches);
                                     auto: overlap only where the --advisor predicts a gain (default sequential)
            %s  --weight-dtype NAME    f32 or bf16 device storage of the weights (default f32)
              --mla auto|naive|absorbed  MLA form: absorbed (decode-friendly), naive (prefill), or per chunk (default auto)
              --link GBPS[:LAT_US]   emulate a link of GBPS GB/s and LAT_US us per collective (host backend)
              --threads N            compute threads per rank (host backend; default: cores / ranks)
              --gemm NAME            host GEMM: auto (a CBLAS library if found, else Java), blas, java,
                                     java-vector or java-scalar (default auto, or -Dtandem.gemm)
              --warmup N             untimed forwards before the timed ones (default 0)
              --repeat N             timed forwards; prints their median time and tokens/s (default 1)
              --trace FILE           write a Chrome trace of the run and print per-rank overlap metrics
              --help                 this text
            presets: %s
            """.formatted(AdvisorOption.HELP, String.join(", ", DeepSeekConfig.presetNames()));

    private ForwardCommand() {
    }

    /**
     * Runs {@code forward} with the process's arguments and exits with its code when it is not 0.
     *
     * @param args the command's options
     */
    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /**
     * Runs the command; returns the exit code (0 ok, 1 failure, 2 usage error).
     *
     * @param args the command's options
     * @param out  where the results go
     * @param err  where errors and usage go
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> opts;
        try {
            opts = parse(args);
        } catch (UsageException e) {
            err.println("forward: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (opts.containsKey("help")) {
            out.print(USAGE);
            return 0;
        }
        try {
            execute(opts, out);
            return 0;
        } catch (UsageException e) {
            err.println("forward: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (BackendNotFoundException e) {
            err.println("forward: --backend: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (SafetensorsException | IllegalArgumentException | InputSize.TooLargeException
                 | dev.tandem.runtime.InvalidArgumentException e) {
            err.println("forward: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("forward: failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static final List<String> FLAGS = List.of("model", "layers", "input", "output", "ranks", "attention",
            "backend", "preset", "random-seed", "tokens", "seq-lens", "micro-batches", "schedule", "weight-dtype", "trace",
            "mla", "link", "warmup", "repeat", "threads", "gemm", "advisor", "advisor-hardware");

    static Map<String, String> parse(String[] args) {
        Map<String, String> opts = Options.parse("forward", args, FLAGS, List.of());
        if (opts.containsKey("help")) {
            return opts;
        }
        boolean model = opts.containsKey("model");
        boolean preset = opts.containsKey("preset");
        if (model == preset) {
            throw new UsageException(model ? "give either --model or --preset, not both" : "--model DIR or --preset NAME is required");
        }
        if (model) {
            for (String req : List.of("layers", "input", "output")) {
                if (!opts.containsKey(req)) {
                    throw new UsageException("--" + req + " is required with --model");
                }
            }
            for (String bad : List.of("random-seed", "tokens", "seq-lens")) {
                if (opts.containsKey(bad)) {
                    throw new UsageException("--" + bad + " only applies to --preset");
                }
            }
        } else {
            for (String req : List.of("random-seed", "tokens")) {
                if (!opts.containsKey(req)) {
                    throw new UsageException("--" + req + " is required with --preset");
                }
            }
            if (opts.containsKey("input")) {
                throw new UsageException("--input only applies to --model; --preset makes its own input");
            }
        }
        return opts;
    }

    static int intOpt(Map<String, String> o, String key, int dflt, int min) {
        String v = o.get(key);
        if (v == null) {
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + key + " must be an integer, got '" + v + "'");
        }
        if (n < min) {
            throw new UsageException("--" + key + " must be at least " + min + ", got " + n);
        }
        return n;
    }

    static int[] layerRange(String spec, int layers) {
        String[] parts = spec.split(":", -1);
        if (parts.length != 2) {
            throw new UsageException("--layers must be A:B (run layers A..B-1), got '" + spec + "'");
        }
        int a;
        int b;
        try {
            a = parts[0].isEmpty() ? 0 : Integer.parseInt(parts[0].trim());
            b = parts[1].isEmpty() ? layers : Integer.parseInt(parts[1].trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--layers must be A:B with integers, got '" + spec + "'");
        }
        if (a < 0 || b <= a || b > layers) {
            throw new UsageException("--layers " + spec + " is not a non-empty range within the model's " + layers + " layers");
        }
        return new int[]{a, b};
    }

    private static void execute(Map<String, String> o, PrintStream out) {
        int ranks = intOpt(o, "ranks", 1, 1);
        AttentionMode mode;
        try {
            mode = AttentionMode.parse(o.getOrDefault("attention", "dp"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--attention must be dp or tp, got '" + o.get("attention") + "'");
        }
        int microBatches = intOpt(o, "micro-batches", 1, 1);
        String schedule = o.getOrDefault("schedule", "sequential").toLowerCase(Locale.ROOT);
        if (!schedule.equals("sequential") && !o.containsKey("micro-batches")) {
            microBatches = 2;   // dbo and auto mean two micro-batches unless told otherwise
        }
        ScheduleChoice choice = switch (schedule) {
            case "sequential" -> microBatches == 1 ? ScheduleChoice.sequential()
                    : new ScheduleChoice(ScheduleChoice.Kind.SEQUENTIAL, microBatches);
            case "dbo", "overlapped" -> ScheduleChoice.overlapped(microBatches);
            case "auto" -> ScheduleChoice.auto(microBatches);
            default -> throw new UsageException("--schedule must be sequential, dbo or auto, got '" + schedule + "'");
        };
        AdvisorOption.check(o, choice.kind() == ScheduleChoice.Kind.AUTO);
        DType wdt = switch (o.getOrDefault("weight-dtype", "f32").toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new UsageException("--weight-dtype must be f32 or bf16, got '" + o.get("weight-dtype") + "'");
        };
        int warmup = intOpt(o, "warmup", 0, 0);
        int repeat = intOpt(o, "repeat", 1, 1);
        MlaMode mla = switch (o.getOrDefault("mla", "auto").toLowerCase(Locale.ROOT)) {
            case "auto" -> MlaMode.AUTO;
            case "naive" -> MlaMode.NAIVE;
            case "absorbed" -> MlaMode.ABSORBED;
            default -> throw new UsageException("--mla must be auto, naive or absorbed, got '" + o.get("mla") + "'");
        };
        LinkEmulation link = communicatorOptions(o).link();
        DeepSeekConfig config;
        float[] hidden;
        int[] positions;
        int[] seqLens;
        DeepSeekEngine.Builder builder = DeepSeekEngine.builder();
        if (o.containsKey("model")) {
            Path dir = Path.of(o.get("model"));
            try (Checkpoint ckpt = Checkpoint.open(dir)) {
                config = ckpt.config();
            }
            builder.modelDirectory(dir);
            Input in = readInput(Path.of(o.get("input")), config.hiddenSize());
            hidden = in.hidden;
            positions = in.positions;
            seqLens = in.seqLens;
        } else {
            config = DeepSeekConfig.preset(o.get("preset"));
            long seed;
            try {
                seed = Long.parseLong(o.get("random-seed").trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--random-seed must be an integer, got '" + o.get("random-seed") + "'");
            }
            builder.config(config).randomWeights(seed);
            int t = intOpt(o, "tokens", 1, 1);
            InputSize.check("--tokens " + t, t, config.hiddenSize());
            seqLens = o.containsKey("seq-lens") ? parseLens(o.get("seq-lens"), t) : new int[]{t};
            hidden = new float[t * config.hiddenSize()];
            SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
            for (int i = 0; i < hidden.length; i++) {
                hidden[i] = (float) gaussian(rnd);
            }
            positions = new int[t];
            int row = 0;
            for (int len : seqLens) {
                for (int j = 0; j < len; j++) {
                    positions[row++] = j;
                }
            }
        }
        int[] range = layerRange(o.getOrDefault("layers", ":"), config.numHiddenLayers());
        int d = config.hiddenSize();
        List<DecoderRunner.Request> requests = new ArrayList<>();
        int row = 0;
        for (int r = 0; r < seqLens.length; r++) {
            int n = seqLens[r];
            requests.add(new DecoderRunner.Request(r, Arrays.copyOfRange(hidden, row * d, (row + n) * d),
                    Arrays.copyOfRange(positions, row, row + n)));
            row += n;
        }
        builder.layers(range[0], range[1]).ranks(ranks).attention(mode).weightDType(wdt).mla(mla).link(link)
                .backend(o.get("backend")).tracing(o.containsKey("trace")).minMicroBatchTokens(1)
                .computeThreads(intOpt(o, "threads", 0, 1));
        if (o.containsKey("gemm")) {
            builder.runtimeProperty("host.gemm", o.get("gemm"));
        }
        var advisor = AdvisorOption.advisor(o, choice.kind() == ScheduleChoice.Kind.AUTO, config, range, ranks, mode,
                intOpt(o, "threads", 0, 1), link, out);
        builder.scheduleAdvisor(advisor);
        if (choice.kind() != ScheduleChoice.Kind.AUTO || advisor != null) {
            builder.flopsPerSecond(1e10);   // only the auto schedule's analytic cost model needs the measured rate
        }
        long start = System.nanoTime();
        float[] result;
        try (DeepSeekEngine engine = builder.build()) {
            long loaded = System.nanoTime();
            out.printf(Locale.ROOT, "loaded %s layers %d..%d on %d %s rank(s) (%s attention) in %.2f s%n",
                    config, range[0], range[1] - 1, ranks, engine.runtime().backendName(),
                    mode.name().toLowerCase(Locale.ROOT), (loaded - start) / 1e9);
            out.println("GEMM: " + engine.runtime().gemmImplementation());
            ForwardTimer timer = new ForwardTimer(warmup, repeat);
            ForwardResult[] last = new ForwardResult[1];
            result = timer.run(() -> {
                last[0] = engine.forward(requests, choice);
                for (DecoderRunner.Request q : requests) {
                    engine.release(q.id());   // each forward is a fresh prefill, not a continuation
                }
                return last[0].hidden();
            });
            ForwardResult forward = last[0];
            if (advisor != null) {
                out.println("schedule auto: " + forward.decision());
                AdvisorOption.report(advisor, out);
            } else if (choice.kind() == ScheduleChoice.Kind.AUTO) {
                out.printf(Locale.ROOT, "schedule auto (measured %.2f GFLOP/s): %s%n", engine.flopsPerSecond() / 1e9,
                        forward.decision());
            } else if (microBatches > 1) {
                out.printf(Locale.ROOT, "micro-batches: %d (%s)%n", forward.plan().size(), forward.plan().reason());
            }
            out.print(timer.describe(positions.length, seqLens.length));
            if (o.containsKey("trace")) {
                try {
                    engine.runtime().tracer().writeChromeTrace(Path.of(o.get("trace")));
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot write trace " + o.get("trace") + ": " + e.getMessage(), e);
                }
                out.println("trace written to " + o.get("trace"));
                for (var m : forward.report().devices()) {
                    out.printf(Locale.ROOT, "device %d: wall %.1f ms, compute %.1f ms, comm %.1f ms, comm hidden %.0f%%%n",
                            m.device(), m.wallNanos() / 1e6, m.computeNanos() / 1e6, m.commNanos() / 1e6,
                            m.hiddenPercent());
                }
            }
        }
        double sumAbs = 0;
        boolean finite = true;
        for (float v : result) {
            sumAbs += Math.abs(v);
            finite &= Float.isFinite(v);
        }
        out.printf(Locale.ROOT, "output hidden_states [%d, %d]: mean |x| = %.6f%s%n", positions.length, d,
                result.length == 0 ? 0 : sumAbs / result.length, finite ? "" : " (NON-FINITE VALUES)");
        if (o.containsKey("output")) {
            long[] lens = new long[seqLens.length];
            for (int i = 0; i < lens.length; i++) {
                lens[i] = seqLens[i];
            }
            long[] pos = new long[positions.length];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = positions[i];
            }
            new SafetensorsWriter()
                    .metadata("producer", "tandem forward")
                    .metadata("layers", range[0] + ":" + range[1])
                    .addF32("hidden_states", new long[]{positions.length, d}, result)
                    .addI64("positions", new long[]{pos.length}, pos)
                    .addI64("seq_lens", new long[]{lens.length}, lens)
                    .write(Path.of(o.get("output")));
            out.println("wrote " + o.get("output"));
        }
    }

    static CommunicatorOptions communicatorOptions(Map<String, String> o) {
        CommunicatorOptions c = CommunicatorOptions.defaults();
        String spec = o.get("link");
        if (spec == null) {
            return c;
        }
        try {
            return c.withLink(LinkEmulation.parse(spec));
        } catch (InvalidArgumentException e) {
            throw new UsageException("--link: " + e.getMessage());
        }
    }

    private static int[] parseLens(String spec, int tokens) {
        String[] parts = spec.split(",");
        int[] lens = new int[parts.length];
        int sum = 0;
        for (int i = 0; i < parts.length; i++) {
            try {
                lens[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--seq-lens must be comma-separated integers, got '" + spec + "'");
            }
            if (lens[i] <= 0) {
                throw new UsageException("--seq-lens entries must be positive, got " + lens[i]);
            }
            sum += lens[i];
        }
        if (sum != tokens) {
            throw new UsageException("--seq-lens sum to " + sum + " but --tokens is " + tokens);
        }
        return lens;
    }

    private record Input(float[] hidden, int[] positions, int[] seqLens) {
    }

    static Input readInput(Path file, int hiddenSize) {
        if (!Files.exists(file)) {
            throw new SafetensorsException(file, null, "input file not found");
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            HostTensor h = f.tensor("hidden_states");
            long[] hs = h.shape();
            if (hs.length != 2 || hs[1] != hiddenSize) {
                throw new SafetensorsException(file, "hidden_states", "shape " + Arrays.toString(hs)
                        + " must be [T, " + hiddenSize + "]");
            }
            if (h.dtype() != StDType.F32 && h.dtype() != StDType.BF16 && h.dtype() != StDType.F16) {
                throw new SafetensorsException(file, "hidden_states", "dtype " + h.dtype() + " must be F32, BF16 or F16");
            }
            if (hs[0] == 0) {
                throw new SafetensorsException(file, "hidden_states", "has 0 tokens; the input needs at least one");
            }
            InputSize.check(file + ": hidden_states " + Arrays.toString(hs), hs[0], hiddenSize);
            int t = (int) hs[0];
            HostTensor p = f.tensor("positions");
            if (p.shape().length != 1 || p.shape()[0] != t) {
                throw new SafetensorsException(file, "positions", "shape " + Arrays.toString(p.shape()) + " must be [" + t + "]");
            }
            if (p.dtype() != StDType.I32 && p.dtype() != StDType.I64) {
                throw new SafetensorsException(file, "positions", "dtype " + p.dtype() + " must be I32 or I64");
            }
            HostTensor s = f.tensor("seq_lens");
            if (s.shape().length != 1) {
                throw new SafetensorsException(file, "seq_lens", "must be 1-D, got shape " + Arrays.toString(s.shape()));
            }
            if (s.dtype() != StDType.I32 && s.dtype() != StDType.I64) {
                throw new SafetensorsException(file, "seq_lens", "dtype " + s.dtype() + " must be I32 or I64");
            }
            long[] pl = p.toLongs();
            int[] pos = new int[t];
            for (int i = 0; i < t; i++) {
                if (pl[i] < 0 || pl[i] > Integer.MAX_VALUE) {
                    throw new SafetensorsException(file, "positions", "position " + pl[i] + " at index " + i + " is out of range");
                }
                pos[i] = (int) pl[i];
            }
            long[] sl = s.toLongs();
            int[] lens = new int[sl.length];
            long sum = 0;
            for (int i = 0; i < sl.length; i++) {
                if (sl[i] <= 0) {
                    throw new SafetensorsException(file, "seq_lens", "entry " + i + " is " + sl[i] + "; lengths must be positive");
                }
                if (sl[i] > t) {
                    throw new SafetensorsException(file, "seq_lens", "entry " + i + " is " + sl[i]
                            + ", more than the " + t + " tokens of hidden_states");
                }
                lens[i] = (int) sl[i];
                sum += sl[i];
            }
            if (sum != t) {
                throw new SafetensorsException(file, "seq_lens", "lengths sum to " + sum + " but hidden_states has " + t + " tokens");
            }
            float[] values = h.toFloats();
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new SafetensorsException(file, "hidden_states", "value [" + i / hiddenSize + ", "
                            + i % hiddenSize + "] is " + values[i] + "; hidden states must be finite");
                }
            }
            return new Input(values, pos, lens);
        }
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1;
        do {
            u1 = rnd.nextDouble();
        } while (u1 <= 0);
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
