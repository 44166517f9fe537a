package dev.tandem.deepseek.demo;

import dev.tandem.runtime.LinkModel;

import java.nio.file.Path;

/** Command-line options of {@link OverlapDemo}. */
record DemoOptions(String preset, String layers, int moeLayers, int ranks, int tokens, int requests, int microBatches, LinkModel link,
                   String backend, long seed, int warmup, int iterations, Path outputDirectory, boolean help) {

    static final String USAGE = """
            usage: overlap-demo [options]
              --preset NAME          model shape (default tiny-v3; also tiny-v2lite, small-v2)
              --moe-layers N         stack N MoE layers of the preset's shape (default 4)
              --layers A:B           run exactly the preset's decoder layers A..B-1 instead
              --ranks P              expert-parallel in-process ranks (default 2)
              --tokens T             prefill tokens in the batch, over all ranks (default 512)
              --requests R           requests the tokens are split into (default 8)
              --micro-batches N      micro-batches of the overlapped schedule (default 2)
              --link GBPS[:US]       emulated link: bandwidth per rank and latency per collective (default 0.1:50)
              --backend NAME         runtime backend (default host)
              --seed S               weights and inputs (default 1)
              --warmup W             forwards per schedule before measuring (default 2)
              --iterations I         measured forwards per schedule; the median is reported (default 3)
              --out DIR              where trace.json and timeline.svg go (default .)
              --help                 this text
            """;

    static DemoOptions parse(String[] args) {
        String preset = "tiny-v3";
        String layers = null;
        int moeLayers = 4;
        int ranks = 2;
        int tokens = 512;
        int requests = 8;
        int microBatches = 2;
        LinkModel link = new LinkModel(0.1, 50);
        String backend = "host";
        long seed = 1;
        int warmup = 2;
        int iterations = 3;
        Path out = Path.of(".");
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--preset" -> preset = v;
                case "--layers" -> layers = v;
                case "--moe-layers" -> moeLayers = positive(a, v);
                case "--ranks" -> ranks = positive(a, v);
                case "--tokens" -> tokens = positive(a, v);
                case "--requests" -> requests = positive(a, v);
                case "--micro-batches" -> microBatches = positive(a, v);
                case "--link" -> link = link(v);
                case "--backend" -> backend = v;
                case "--seed" -> seed = Long.parseLong(v);
                case "--warmup" -> warmup = nonNegative(a, v);
                case "--iterations" -> iterations = positive(a, v);
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return new DemoOptions(preset, layers, moeLayers, ranks, tokens, requests, microBatches, link, backend, seed, warmup,
                iterations, out, help);
    }

    static LinkModel link(String v) {
        String[] parts = v.split(":");
        try {
            double gbps = Double.parseDouble(parts[0]);
            double micros = parts.length > 1 ? Double.parseDouble(parts[1]) : 0;
            return new LinkModel(gbps, micros);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--link needs GBPS[:MICROSECONDS], got '" + v + "'");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--link: " + e.getMessage());
        }
    }

    private static int positive(String option, String v) {
        int n = nonNegative(option, v);
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + n);
        }
        return n;
    }

    private static int nonNegative(String option, String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0) {
                throw new IllegalArgumentException(option + " must not be negative, got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a whole number, got '" + v + "'");
        }
    }
}
