package dev.tandem.deepseek.demo;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.MlaMode;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.deepseek.serving.ForwardResult;
import dev.tandem.deepseek.serving.ScheduleChoice;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.trace.OverlapReport;
import dev.tandem.runtime.trace.TimelineSvg;
import dev.tandem.runtime.trace.TraceSpan;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The main job: a DeepSeek-V3-shaped MoE layer stack on several in-process expert-parallel ranks, run
 * sequentially and with dual-batch overlap over an <b>emulated</b> link, checked for bitwise equality, measured,
 * and drawn. Prints a table and writes {@code trace.json} (Perfetto / chrome://tracing) and {@code timeline.svg}.
 */
public final class OverlapDemo {
    private OverlapDemo() {
    }

    /**
     * Runs the demo with the process's arguments and exits with its code when it is not 0.
     *
     * @param args the demo's options
     */
    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /**
     * Runs the demo; returns 0, 1 on failure, 2 on a usage error.
     *
     * @param args the demo's options
     * @param out  where the table goes
     * @param err  where errors and usage go
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        DemoOptions options;
        try {
            options = DemoOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("overlap-demo: " + e.getMessage());
            err.print(DemoOptions.USAGE);
            return 2;
        }
        if (options.help()) {
            out.print(DemoOptions.USAGE);
            return 0;
        }
        try {
            execute(options, out);
            return 0;
        } catch (RuntimeException | IOException e) {
            err.println("overlap-demo: failed: " + e);
            return 1;
        }
    }

    static DemoResult execute(DemoOptions o, PrintStream out) throws IOException {
        DeepSeekConfig preset = DeepSeekConfig.preset(o.preset());
        // A deeper stack of the preset's MoE layer, so the pipeline's fill and drain matter as little as in a model.
        DeepSeekConfig config = o.layers() != null ? preset
                : preset.withNumHiddenLayers(preset.firstKDenseReplace() + o.moeLayers());
        int[] range = layerRange(o.layers(), config);
        out.printf(Locale.ROOT, "Tandem dual-batch overlap demo: %s (d=%d, %d experts, top-%d), layers %d..%d, %d %s rank(s)%n",
                o.preset(), config.hiddenSize(), config.nRoutedExperts(), config.numExpertsPerTok(), range[0],
                range[1] - 1, o.ranks(), o.backend());
        LinkEmulation link = o.link();
        out.printf(Locale.ROOT, "emulated link: %.3f GB/s per rank, %.0f us per collective (emulation, not a real interconnect)%n",
                link.bandwidthGBps(), link.latencyMicros());
        long t0 = System.nanoTime();
        // A fixed MLA form: AUTO picks it per chunk, and the second part of a prefill cut at a token boundary
        // (few queries over a longer context) would go absorbed where the unsplit reference goes naive; the
        // forms agree only up to rounding, so the bitwise check would fail for reasons unrelated to overlap.
        // NAIVE is what AUTO picks for every uncut prefill chunk, so the reference run is unchanged.
        try (DeepSeekEngine engine = DeepSeekEngine.builder().config(config).randomWeights(o.seed())
                .layers(range[0], range[1]).ranks(o.ranks()).backend(o.backend()).computeThreads(1).tracing(true)
                .mla(MlaMode.NAIVE).link(link).minMicroBatchTokens(1).flopsPerSecond(1e10).build()) {
            out.println("GEMM: " + engine.runtime().gemmImplementation());
            out.printf(Locale.ROOT, "[1/4] weights ready in %.2f s%n", (System.nanoTime() - t0) / 1e9);
            DemoBatch batch = DemoBatch.random(config, o.requests(), o.tokens(), o.seed());
            ScheduleChoice whole = ScheduleChoice.sequential();
            ScheduleChoice split = ScheduleChoice.overlapped(o.microBatches());
            out.printf(Locale.ROOT, "[2/4] warming up (%d forward(s) per schedule)%n", o.warmup());
            for (int i = 0; i < o.warmup(); i++) {
                batch.run(engine, whole);
                batch.run(engine, split);
            }
            out.printf(Locale.ROOT, "[3/4] measuring %d forward(s) per schedule%n", o.iterations());
            Measured sequential = measure(engine, batch, whole, o.iterations());
            Measured overlapped = measure(engine, batch, split, o.iterations());
            out.println("      plan: " + overlapped.plan().reason());
            // The guarantee: overlap never changes a bit of the same split's sequential forward (any GEMM). With
            // the Java GEMMs the split is also bitwise neutral, so the unsplit run equals it too; a BLAS computes
            // a row differently depending on the shape of its call, so there the unsplit run agrees to rounding.
            float[] splitSequential = batch.run(engine,
                    new ScheduleChoice(ScheduleChoice.Kind.SEQUENTIAL, o.microBatches())).hidden();
            boolean identical = Arrays.equals(splitSequential, overlapped.output());
            out.printf(Locale.ROOT, "      overlapped vs sequential of the same split: %s; unsplit vs split: %s%n",
                    identical ? "bitwise identical" : "DIFFERENT",
                    Arrays.equals(sequential.output(), overlapped.output()) ? "bitwise identical"
                            : String.format(Locale.ROOT, "max relative difference %.1e",
                            maxRelativeDifference(sequential.output(), overlapped.output())));
            Path dir = o.outputDirectory();
            Files.createDirectories(dir);
            Path trace = dir.resolve("trace.json");
            Path svg = dir.resolve("timeline.svg");
            dev.tandem.runtime.trace.ChromeTrace.write(overlapped.spans(), trace);
            dev.tandem.runtime.trace.ChromeTrace.write(sequential.spans(), dir.resolve("trace-sequential.json"));
            TimelineSvg.write(overlapped.spans(), svg, String.format(Locale.ROOT,
                    "Dual-batch overlap: %s, %d ranks, %d tokens, %d micro-batches (one forward)", o.preset(),
                    o.ranks(), batch.tokens(), overlapped.plan().size()), 1600);
            out.println("[4/4] done");
            DemoResult result = new DemoResult(sequential, overlapped, identical, overlapped.plan().size());
            out.println();
            out.print(result.table());
            out.println();
            out.print(overlapped.report().describe());
            out.println("trace:    " + trace.toAbsolutePath().normalize() + " (open in Perfetto or chrome://tracing)");
            out.println("timeline: " + svg.toAbsolutePath().normalize());
            if (!identical) {
                throw new IllegalStateException("dual-batch overlap changed the result: outputs differ bitwise");
            }
            return result;
        }
    }

    private static double maxRelativeDifference(float[] a, float[] b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    /** A:B from the option, or the preset's MoE layers (dense layers have no communication to hide). */
    static int[] layerRange(String spec, DeepSeekConfig config) {
        if (spec == null) {
            int first = Math.min(config.firstKDenseReplace(), config.numHiddenLayers() - 1);
            return new int[]{first, config.numHiddenLayers()};
        }
        String[] parts = spec.split(":");
        try {
            int a = Integer.parseInt(parts[0].trim());
            int b = parts.length > 1 ? Integer.parseInt(parts[1].trim()) : a + 1;
            if (a < 0 || b <= a || b > config.numHiddenLayers()) {
                throw new IllegalArgumentException("--layers " + spec + " is not a non-empty range within the "
                        + config.numHiddenLayers() + " layers of the preset");
            }
            return new int[]{a, b};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--layers needs A:B, got '" + spec + "'");
        }
    }

    private static Measured measure(DeepSeekEngine engine, DemoBatch batch, ScheduleChoice choice, int iterations) {
        long[] times = new long[iterations];
        ForwardResult last = null;
        List<TraceSpan> spans = List.of();
        for (int i = 0; i < iterations; i++) {
            last = batch.run(engine, choice);
            times[i] = last.wallNanos();
            spans = engine.runtime().tracer().spans();
        }
        Arrays.sort(times);
        return new Measured(choice.kind() == ScheduleChoice.Kind.SEQUENTIAL ? "sequential" : "dbo",
                times[iterations / 2], last.hidden(), spans, last.report(), last.plan());
    }

    /** The median forward of one schedule, with the spans and overlap report of its last run. */
    record Measured(String name, long medianNanos, float[] output, List<TraceSpan> spans, OverlapReport report,
                    MicroBatchPlan plan) {
    }
}
