package dev.tandem.deepseek.cli;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.plan.PlannedScheduleAdvisor;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.deepseek.serving.ScheduleChoice;
import dev.tandem.deepseek.serving.ServingBenchmark;
import dev.tandem.runtime.BackendNotFoundException;
import dev.tandem.runtime.LinkEmulation;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench-serving}: the seed's serving benchmark (vLLM's {@code benchmark_serving}: random prompts, Poisson
 * arrivals, bounded concurrency, TTFT and ITL) run against a {@link DeepSeekEngine} on any backend and preset.
 */
public final class BenchServingCommand {
    static final String USAGE = """
            usage:
              bench-serving (--preset NAME [--random-seed S] | --model DIR) [options]

            Sends --num-prompts random prompts of --input-len tokens to a DeepSeekEngine, arriving as a Poisson
            process of --request-rate per second (inf: all at once), at most --max-concurrency in flight; each
            request then runs --output-len - 1 decode steps. Prints request throughput (QPS), token throughput,
            mean / median / P90 / P99 time to first token (TTFT) and inter-token latency (ITL).

            options:
              --input-len N          prompt tokens (default 4096, as the seed)
              --output-len N         outputs per request; 1 measures prefill only (default 1)
              --num-prompts N        requests (default 200)
              --request-rate R|inf   Poisson arrival rate per second (default inf)
              --max-concurrency N    most requests in flight, 0 for no limit (default 8)
              --schedule NAME        sequential, dbo (dual-batch overlap) or auto (--advisor per step) (default auto)
            %s  --compare              run sequential and dbo on fresh engines, print both and their ratio
              --layers A:B           decoder layers to run (default: the first MoE layer only)
              --ranks P              in-process expert-parallel ranks (default 2)
              --attention dp|tp      attention parallelism (default dp)
              --link GBPS[:LAT_US]   emulate a link (host backend); also what the cost model assumes
              --backend NAME         runtime backend (default host)
              --token-budget N       most tokens per engine step (default 8192)
              --max-sequences N      most requests per engine step (default 256)
              --compute-threads N    host backend: kernel threads per device (default 1)
              --seed S               seed of prompts and arrivals (default 0)
              --help                 this text
            presets: %s
            """.formatted(AdvisorOption.HELP, String.join(", ", DeepSeekConfig.presetNames()));

    private static final List<String> FLAGS = List.of("preset", "random-seed", "model", "input-len", "output-len",
            "num-prompts", "request-rate", "max-concurrency", "schedule", "layers", "ranks", "attention", "link",
            "backend", "token-budget", "max-sequences", "compute-threads", "seed", "advisor", "advisor-hardware");

    private BenchServingCommand() {
    }

    /**
     * Runs {@code bench-serving} with the process's arguments and exits with its code when it is not 0.
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
     * @param out  where the report goes
     * @param err  where errors and usage go
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> o;
        try {
            o = parse(args);
            if (o.containsKey("help")) {
                out.print(USAGE);
                return 0;
            }
            execute(o, out);
            return 0;
        } catch (UsageException e) {
            err.println("bench-serving: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (BackendNotFoundException e) {
            err.println("bench-serving: --backend: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (RuntimeException e) {
            err.println("bench-serving: failed: " + e);
            return 1;
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> opts = Options.parse("bench-serving", args, FLAGS, List.of("compare"));
        if (opts.containsKey("help")) {
            return opts;
        }
        if (opts.containsKey("preset") == opts.containsKey("model")) {
            throw new UsageException(opts.containsKey("model") ? "give either --model or --preset, not both"
                    : "--model DIR or --preset NAME is required");
        }
        if (opts.containsKey("compare") && opts.containsKey("schedule")) {
            throw new UsageException("--compare runs both sequential and dbo; drop --schedule");
        }
        AdvisorOption.check(opts, !opts.containsKey("compare")
                && opts.getOrDefault("schedule", "auto").toLowerCase(Locale.ROOT).equals("auto"));
        return opts;
    }

    private static void execute(Map<String, String> o, PrintStream out) {
        int inputLen = ForwardCommand.intOpt(o, "input-len", 4096, 1);
        int outputLen = ForwardCommand.intOpt(o, "output-len", 1, 1);
        int prompts = ForwardCommand.intOpt(o, "num-prompts", 200, 1);
        int concurrency = ForwardCommand.intOpt(o, "max-concurrency", 8, 0);
        int ranks = ForwardCommand.intOpt(o, "ranks", 2, 1);
        int budget = ForwardCommand.intOpt(o, "token-budget", 8192, 1);
        int sequences = ForwardCommand.intOpt(o, "max-sequences", 256, 1);
        int threads = ForwardCommand.intOpt(o, "compute-threads", 1, 1);
        double rate = rate(o.getOrDefault("request-rate", "inf"));
        long seed = longOpt(o, "seed", 0);
        AttentionMode mode;
        try {
            mode = AttentionMode.parse(o.getOrDefault("attention", "dp"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--attention must be dp or tp, got '" + o.get("attention") + "'");
        }
        LinkEmulation link = ForwardCommand.communicatorOptions(o).link();
        DeepSeekConfig config = o.containsKey("model") ? DeepSeekConfig.load(Path.of(o.get("model"), "config.json"))
                : DeepSeekConfig.preset(o.get("preset"));
        int firstMoe = Math.min(config.firstKDenseReplace(), config.numHiddenLayers() - 1);
        int[] range = o.containsKey("layers") ? ForwardCommand.layerRange(o.get("layers"), config.numHiddenLayers())
                : new int[]{firstMoe, firstMoe + 1};
        List<String> schedules = o.containsKey("compare") ? List.of("sequential", "dbo")
                : List.of(o.getOrDefault("schedule", "auto").toLowerCase(Locale.ROOT));
        for (String s : schedules) {
            choice(s);   // reject a bad name before loading anything
        }
        PlannedScheduleAdvisor advisor = AdvisorOption.advisor(o, schedules.equals(List.of("auto")), config, range,
                ranks, mode, threads, link, out);
        AdvisorOption.warm(advisor, concurrency == 0 ? Math.min(prompts, sequences) : Math.min(concurrency, sequences),
                inputLen, budget, outputLen, out);
        ServingBenchmark bench = new ServingBenchmark(inputLen, outputLen, prompts, rate, concurrency, seed);
        out.printf(Locale.ROOT, "bench-serving: %s layers %d..%d on %d rank(s), %s attention, link %s; %d prompts x %d "
                        + "tokens, output %d, rate %s/s, max concurrency %s%n", config, range[0], range[1] - 1, ranks,
                mode.name().toLowerCase(Locale.ROOT), link == null ? "none" : link, prompts, inputLen, outputLen,
                Double.isInfinite(rate) ? "inf" : rate, concurrency == 0 ? "unlimited" : concurrency);
        ServingBenchmark.Result[] results = new ServingBenchmark.Result[schedules.size()];
        for (int i = 0; i < schedules.size(); i++) {
            ServingBenchmark.StepCounter counter = new ServingBenchmark.StepCounter();
            DeepSeekEngine.Builder b = DeepSeekEngine.builder().layers(range[0], range[1]).ranks(ranks).attention(mode)
                    .link(link).backend(o.getOrDefault("backend", "host")).computeThreads(threads).tracing(false)
                    .schedule(choice(schedules.get(i))).tokenBudget(budget).maxSequences(sequences).listener(counter)
                    .scheduleAdvisor(advisor);
            if (o.containsKey("model")) {
                b.modelDirectory(Path.of(o.get("model")));
            } else {
                b.config(config).randomWeights(longOpt(o, "random-seed", 1));
            }
            try (DeepSeekEngine engine = b.build()) {
                // one short warm-up request so that class loading and first allocations are not measured
                new ServingBenchmark(Math.min(inputLen, 16), 1, 1, Double.POSITIVE_INFINITY, 1, seed + 1)
                        .run(engine, counter);
                results[i] = bench.run(engine, counter);
            }
            out.print(ServingBenchmark.format(schedules.get(i), results[i]));
        }
        AdvisorOption.report(advisor, out);
        if (results.length == 2) {
            ServingBenchmark.Result a = results[0];
            ServingBenchmark.Result b = results[1];
            out.printf(Locale.ROOT, "%-40s %s%n", "dbo / sequential:", "");
            out.printf(Locale.ROOT, "  %-38s %.3f%n", "request throughput ratio:", b.requestThroughput() / a.requestThroughput());
            out.printf(Locale.ROOT, "  %-38s %.3f%n", "mean TTFT ratio:", b.meanTtft() / a.meanTtft());
            if (a.itlMillis().length > 0 && b.itlMillis().length > 0) {
                out.printf(Locale.ROOT, "  %-38s %.3f%n", "mean ITL ratio:", b.meanItl() / a.meanItl());
            }
        }
        for (ServingBenchmark.Result r : results) {
            if (r.failed() > 0) {
                throw new IllegalStateException(r.failed() + " request(s) failed; first: " + r.firstFailure());
            }
        }
    }

    static ScheduleChoice choice(String name) {
        return switch (name) {
            case "sequential" -> ScheduleChoice.sequential();
            case "dbo" -> ScheduleChoice.overlapped(2);
            case "auto" -> ScheduleChoice.auto(2);
            default -> throw new UsageException("--schedule must be sequential, dbo or auto, got '" + name + "'");
        };
    }

    private static double rate(String v) {
        if (v.equalsIgnoreCase("inf")) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            double r = Double.parseDouble(v.trim());
            if (r > 0 && !Double.isNaN(r)) {
                return r;
            }
        } catch (NumberFormatException e) {
            // falls through to the usage error
        }
        throw new UsageException("--request-rate must be a positive number or inf, got '" + v + "'");
    }

    private static long longOpt(Map<String, String> o, String key, long dflt) {
        String v = o.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + key + " must be an integer, got '" + v + "'");
        }
    }
}
