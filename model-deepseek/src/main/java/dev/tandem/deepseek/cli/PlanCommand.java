package dev.tandem.deepseek.cli;

import dev.tandem.deepseek.config.ConfigException;
import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.plan.CapacityPlanner;
import dev.tandem.deepseek.plan.PlanJson;
import dev.tandem.deepseek.plan.PlanSetup;
import dev.tandem.deepseek.plan.SimulateRanks;
import dev.tandem.deepseek.plan.SweepChart;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.HostProfile;
import dev.tandem.runtime.sim.RoutingModel;
import dev.tandem.runtime.trace.ChromeTrace;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code plan} command: predicts, before deploying, what dual-batch overlap gains for a DeepSeek model on a
 * hardware profile, parallel layout and batch, by running the model's stage programs and schedules on the
 * simulated backend (see {@link CapacityPlanner}).
 */
public final class PlanCommand {
    static final String USAGE = """
            usage:
              plan --model NAME|DIR --hardware PROFILE [--nodes N] [--devices-per-node D] [--attention dp|tp]
                   [--tp T] [--ep E] [--quant bf16|w8a8|fp8] [--prefill COUNTxLEN] [--decode BATCHxCONTEXT]
                   [--micro-batches 1..4] [--schedule sequential|dbo|auto|all] [--expert-skew balanced|zipf:S]
                   [--layers L] [--simulate-ranks all|auto|N] [--trace FILE] [--json FILE] [--sweep tokens=A,B,...]
                   [--out PREFIX] [--link GBPS:US]

            Simulates one step of the model on NODES x D simulated devices (one expert-parallel rank each; a
            representative subset of them when every rank behaves the same, see --simulate-ranks) and prints, per
            schedule, the predicted step time, speed-up over sequential, compute and communication share,
            communication hidden, exposed communication, compute bubbles, contention and peak memory per device,
            then the schedule and split it would pick and why, and which ranks were simulated and why.

            options:
              --model NAME|DIR       deepseek-r1, deepseek-v3, deepseek-v2, deepseek-v2-lite (or another preset), or a
                                     directory with a HuggingFace config.json (weights are not read)
              --hardware PROFILE     %s, or host (measured on this machine with the emulated --link)
              --nodes N              nodes (default 1)
              --devices-per-node D   devices per node (default: the profile's)
              --attention dp|tp      data-parallel attention (requests spread over ranks) or heads split over all ranks
              --tp T                 tensor-parallel size of attention: 1 under dp, the whole group (= --ep) under tp
              --ep E                 expert-parallel size; must be NODES x D (default)
              --quant Q              bf16, w8a8 (INT8 GEMMs) or fp8 linear layers (default bf16)
              --prefill COUNTxLEN    COUNT prefill requests of LEN tokens in the step
              --decode BATCHxCTX     BATCH decode requests with CTX cached tokens each
              --micro-batches M      most micro-batches tried for overlap, 1..4 (default 2: dual-batch overlap)
              --schedule S           sequential, dbo, auto (print the pick only) or all (default all)
              --expert-skew K        balanced (default) or zipf:S (Zipf-law expert popularity with exponent S)
              --layers L             simulate the first L decoder layers (default: all of the model's)
              --simulate-ranks R     auto (default): simulate 8 ranks standing for the whole group when every rank
                                     has the same batch and balanced routing spreads the experts' load evenly
                                     (collectives still cost the full group's), otherwise all ranks; all: every
                                     rank; N: N ranks (N must divide the group; a subset is refused unless
                                     every rank behaves the same)
              --trace FILE           Chrome/Perfetto trace of the picked schedule's step (virtual time; the
                                     simulated ranks' devices)
              --json FILE            the plan as JSON
              --sweep tokens=A,B,... repeat for A, B, ... new tokens per device (prefill requests of that length,
                                     or decode batches of that size); writes PREFIX.csv and PREFIX.svg
              --out PREFIX           sweep output prefix (default plan-sweep)
              --link GBPS:US         emulated link of the host profile (default 0.02:50, the demo's)
              --help                 this text
            """.formatted(String.join(", ", HardwareProfile.SHIPPED));

    private static final List<String> OPTIONS = List.of("model", "hardware", "nodes", "devices-per-node", "attention",
            "tp", "ep", "quant", "prefill", "decode", "micro-batches", "schedule", "expert-skew", "layers", "trace",
            "json", "sweep", "out", "link", "simulate-ranks");

    private PlanCommand() {
    }

    /**
     * Runs {@code plan} with the process's arguments and exits with its code when it is not 0.
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
     * @param out  where the plan goes
     * @param err  where errors and usage go
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> opts;
        try {
            opts = parse(args);
            if (opts.containsKey("help")) {
                out.print(USAGE);
                return 0;
            }
            PlanSetup setup = setup(opts);
            String schedule = opts.getOrDefault("schedule", "all");
            if (!List.of("sequential", "dbo", "auto", "all").contains(schedule)) {
                throw new UsageException("--schedule must be sequential, dbo, auto or all, got '" + schedule + "'");
            }
            if (schedule.equals("sequential")) {
                setup = withMicroBatches(setup, 1);
            } else if (schedule.equals("dbo")) {
                setup = withMicroBatches(setup, 2);
            }
            SimulateRanks ranks = SimulateRanks.parse(opts.getOrDefault("simulate-ranks", "auto"));
            if (opts.containsKey("sweep")) {
                sweep(setup, ranks, opts, out);
                return 0;
            }
            CapacityPlanner.Plan plan = CapacityPlanner.plan(setup, setup.microBatches() >= 2, ranks);
            print(plan, schedule.equals("auto"), out);
            if (opts.containsKey("trace")) {
                Path file = Path.of(opts.get("trace"));
                ChromeTrace.write(plan.pickSpans(), file);
                out.println("trace of the " + plan.pick().schedule() + " step: " + file + " (open in Perfetto)");
            }
            if (opts.containsKey("json")) {
                Path file = Path.of(opts.get("json"));
                Files.writeString(file, PlanJson.write(plan));
                out.println("plan as JSON: " + file);
            }
            return 0;
        } catch (InvalidArgumentException e) {
            err.println("plan: " + e.getMessage());
            err.println("(plan --help lists the options)");
            return 2;
        } catch (IOException e) {
            err.println("plan: cannot write " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("plan: failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        int i = args.length > 0 && args[0].equals("plan") ? 1 : 0;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                opts.put("help", "");
                continue;
            }
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "'");
            }
            String key = a.substring(2);
            if (!OPTIONS.contains(key)) {
                throw new UsageException("unknown option --" + key);
            }
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                throw new UsageException("option --" + key + " needs a value");
            }
            if (opts.put(key, args[++i]) != null) {
                throw new UsageException("option --" + key + " given twice");
            }
        }
        return opts;
    }

    static PlanSetup setup(Map<String, String> opts) {
        String modelName = required(opts, "model");
        DeepSeekConfig model = model(modelName);
        String hardware = required(opts, "hardware").toLowerCase(Locale.ROOT);
        int nodes = integer(opts, "nodes", 1, 1);
        HardwareProfile profile;
        if (hardware.equals("host")) {
            int dpn = integer(opts, "devices-per-node", 2, 1);
            profile = HostProfile.measure(link(opts.getOrDefault("link", "0.02:50")), nodes * dpn, 1)
                    .withDevicesPerNode(dpn);
        } else {
            if (opts.containsKey("link")) {
                throw new UsageException("--link only applies to --hardware host");
            }
            profile = HardwareProfile.load(hardware);
            if (opts.containsKey("devices-per-node")) {
                profile = profile.withDevicesPerNode(integer(opts, "devices-per-node", 0, 1));
            }
        }
        int ep = integer(opts, "ep", nodes * profile.devicesPerNode(), 1);
        AttentionMode attention = switch (opts.getOrDefault("attention", "dp")) {
            case "dp" -> AttentionMode.DP;
            case "tp" -> AttentionMode.TP;
            default -> throw new UsageException("--attention must be dp or tp, got '" + opts.get("attention") + "'");
        };
        int tp = integer(opts, "tp", attention == AttentionMode.TP ? ep : 1, 1);
        int[] prefill = pair(opts, "prefill");
        int[] decode = pair(opts, "decode");
        if (prefill == null && decode == null && !opts.containsKey("sweep")) {
            throw new UsageException("give the step's batch: --prefill COUNTxLEN and/or --decode BATCHxCONTEXT");
        }
        if (prefill == null && decode == null) {
            prefill = new int[] {1, 1};    // a sweep sets the prefill of each point
        }
        int layers = integer(opts, "layers", model.numHiddenLayers(), 1);
        RoutingModel routing = RoutingModel.parse(opts.getOrDefault("expert-skew", "balanced"));
        return new PlanSetup(modelName, model, layers, profile, nodes, attention, tp, ep,
                opts.getOrDefault("quant", "bf16").toLowerCase(Locale.ROOT),
                prefill == null ? 0 : prefill[0], prefill == null ? 0 : prefill[1],
                decode == null ? 0 : decode[0], decode == null ? 0 : decode[1],
                integer(opts, "micro-batches", 2, 1), routing);
    }

    private static PlanSetup withMicroBatches(PlanSetup s, int n) {
        return new PlanSetup(s.modelName(), s.model(), s.layers(), s.profile(), s.nodes(), s.attention(), s.tp(), s.ep(),
                s.quant(), s.prefillCount(), s.prefillLength(), s.decodeBatch(), s.decodeContext(), n, s.routing());
    }

    private static DeepSeekConfig model(String name) {
        Path dir = Path.of(name);
        if (Files.isDirectory(dir)) {
            Path json = dir.resolve("config.json");
            if (!Files.isRegularFile(json)) {
                throw new UsageException("--model " + name + " is a directory without config.json");
            }
            return DeepSeekConfig.load(json);
        }
        return DeepSeekConfig.preset(name);
    }

    private static void sweep(PlanSetup base, SimulateRanks ranks, Map<String, String> opts, PrintStream out)
            throws IOException {
        String spec = opts.get("sweep");
        if (!spec.startsWith("tokens=")) {
            throw new UsageException("--sweep must be tokens=A,B,... (new tokens per device), got '" + spec + "'");
        }
        List<Integer> values = new ArrayList<>();
        for (String v : spec.substring("tokens=".length()).split(",")) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n < 1) {
                    throw new NumberFormatException();
                }
                values.add(n);
            } catch (NumberFormatException e) {
                throw new UsageException("--sweep values must be positive integers, got '" + v + "'");
            }
        }
        boolean decode = base.prefillCount() == 0 && base.decodeBatch() > 0;
        int perStep = base.attention() == AttentionMode.TP ? 1 : base.ep();
        List<CapacityPlanner.Plan> plans = new ArrayList<>();
        out.printf(Locale.ROOT, "%-18s %12s %-12s %12s %8s  %s%n", "tokens/device", "sequential", "best overlap",
                "overlap", "gain", "pick");
        List<PlanSetup> setups = new ArrayList<>();
        for (int tokens : values) {
            setups.add(decode ? base.withDecode(tokens * perStep, base.decodeContext()) : base.withPrefill(perStep, tokens));
        }
        plans.addAll(CapacityPlanner.plan(setups, base.microBatches() >= 2, ranks));
        for (int i = 0; i < values.size(); i++) {
            CapacityPlanner.Plan plan = plans.get(i);
            var best = plan.predictions().size() > 1 ? plan.predictions().subList(1, plan.predictions().size()).stream()
                    .min(Comparator.comparingLong(CapacityPlanner.Prediction::stepNanos)).orElseThrow() : null;
            out.printf(Locale.ROOT, "%-18s %9.2f ms %-12s %9s ms %7s  %s%n", values.get(i),
                    plan.sequential().stepNanos() / 1e6, best == null ? "-" : best.schedule(),
                    best == null ? "-" : String.format(Locale.ROOT, "%.2f", best.stepNanos() / 1e6),
                    best == null ? "-" : String.format(Locale.ROOT, "%+.1f%%", 100 * (plan.speedup(best) - 1)),
                    plan.pick().schedule());
        }
        Map<String, Integer> modes = new LinkedHashMap<>();
        plans.forEach(p -> modes.merge(p.ranks().summary(), 1, Integer::sum));
        modes.forEach((mode, points) -> out.println(mode + (modes.size() > 1 ? ": " + points + " point(s)" : "")));
        String prefix = opts.getOrDefault("out", "plan-sweep");
        Path csv = Path.of(prefix + ".csv");
        Path svg = Path.of(prefix + ".svg");
        Files.writeString(csv, SweepChart.csv(plans));
        Files.writeString(svg, SweepChart.svg(plans, String.format(Locale.ROOT, "%s on %d x %s, %s attention, EP%d, %s, %s",
                base.modelName(), base.ep(), base.profile().name(), base.attention().name(), base.ep(), base.quant(),
                decode ? "decode, context " + base.decodeContext() : "prefill")));
        out.println("sweep written: " + csv + ", " + svg);
    }

    /** Prints the plan's table and pick. */
    static void print(CapacityPlanner.Plan plan, boolean pickOnly, PrintStream out) {
        PlanSetup s = plan.setup();
        out.printf(Locale.ROOT, "%s, %d layers, on %d node(s) x %d %s (%s), %s attention (tp %d), EP %d, %s%n",
                s.modelName(), s.layers(), s.nodes(), s.profile().devicesPerNode(), s.profile().name(),
                s.profile().description(), s.attention().name().toLowerCase(Locale.ROOT), s.tp(), s.ep(), s.quant());
        out.printf(Locale.ROOT, "step: prefill %dx%d, decode %dx%d = %.1f new tokens per device; experts %s "
                        + "(busiest rank %.2fx the mean load)%n",
                s.prefillCount(), s.prefillLength(), s.decodeBatch(), s.decodeContext(), s.tokensPerDevice(), s.routing(),
                plan.imbalance());
        out.printf(Locale.ROOT, "%-12s %10s %8s %8s %6s %7s %11s %11s %11s %9s %9s%n", "schedule", "step ms", "speed-up",
                "compute", "comm", "hidden", "exposed ms", "bubbles ms", "contend ms", "act GiB", "peak GiB");
        for (CapacityPlanner.Prediction p : plan.predictions()) {
            if (pickOnly && p != plan.pick() && p != plan.sequential()) {
                continue;
            }
            out.printf(Locale.ROOT, "%-12s %10.2f %7.2fx %7.0f%% %5.0f%% %6.0f%% %11.2f %11.2f %11.2f %9.1f %9.1f%n",
                    p.schedule(), p.stepNanos() / 1e6, plan.speedup(p), 100 * p.computeShare(), 100 * p.commShare(),
                    p.hiddenPercent(), p.exposedNanos() / 1e6, p.bubbleNanos() / 1e6, p.contentionNanos() / 1e6,
                    p.activationBytes() / (double) (1L << 30), p.peakBytes() / (double) (1L << 30));
        }
        out.println("pick: " + plan.reason());
        double capacity = s.profile().memoryGiB();
        if (plan.pick().peakBytes() > capacity * (1L << 30)) {
            double gib = 1L << 30;
            out.printf(Locale.ROOT, "warning: the peak of %.1f GiB per device exceeds the %.0f GiB of %s: %.1f GiB resident "
                            + "before the step (BF16 weights: Tandem stores no 8-bit weights; F32 KV cache of the cached "
                            + "context) and %.1f GiB allocated during the step (activations and new KV cache)%n",
                    plan.pick().peakBytes() / gib, capacity, s.profile().name(),
                    (plan.pick().peakBytes() - plan.pick().activationBytes()) / gib, plan.pick().activationBytes() / gib);
        }
        String hostBound = CapacityPlanner.hostBound(plan);
        if (hostBound != null) {
            out.println("note: " + hostBound);
        }
        out.println(plan.ranks().summary());
        out.printf(Locale.ROOT, "simulated %d layers, %d schedule(s), in %d ms%n", s.layers(), plan.predictions().size(),
                plan.simMillis());
    }

    private static String required(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            throw new UsageException("--" + key + " is required");
        }
        return v;
    }

    private static int integer(Map<String, String> opts, String key, int dflt, int min) {
        String v = opts.get(key);
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

    private static int[] pair(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            return null;
        }
        String[] p = v.toLowerCase(Locale.ROOT).split("x");
        try {
            if (p.length != 2) {
                throw new NumberFormatException();
            }
            int a = Integer.parseInt(p[0].trim());
            int b = Integer.parseInt(p[1].trim());
            if (a < 0 || b < 0) {
                throw new NumberFormatException();
            }
            return new int[] {a, b};
        } catch (NumberFormatException e) {
            throw new UsageException("--" + key + " must be COUNTxLENGTH with non-negative integers, e.g. 4x4096, got '"
                    + v + "'");
        }
    }

    private static LinkEmulation link(String spec) {
        try {
            return LinkEmulation.parse(spec);
        } catch (InvalidArgumentException e) {
            throw new UsageException("--link: " + e.getMessage());
        }
    }
}
