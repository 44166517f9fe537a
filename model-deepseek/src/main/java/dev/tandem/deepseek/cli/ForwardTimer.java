package dev.tandem.deepseek.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Runs a forward {@code warmup} times untimed, then {@code repeat} times timed, and describes the median time,
 * tokens/s and the process's peak resident memory. The result of the last run is returned (every run computes the
 * same thing).
 */
final class ForwardTimer {
    private final int warmup;
    private final int repeat;
    private final long[] nanos;
    private boolean peakReset;

    ForwardTimer(int warmup, int repeat) {
        this.warmup = warmup;
        this.repeat = repeat;
        this.nanos = new long[repeat];
    }

    float[] run(Supplier<float[]> forward) {
        for (int i = 0; i < warmup; i++) {
            forward.get();
        }
        float[] result = null;
        peakReset = resetPeakRss();
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            result = forward.get();
            nanos[i] = System.nanoTime() - t0;
        }
        return result;
    }

    double medianSeconds() {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0) / 1e9;
    }

    String describe(int tokens, int requests) {
        double median = medianSeconds();
        StringBuilder sb = new StringBuilder();
        if (repeat == 1 && warmup == 0) {
            sb.append(String.format(Locale.ROOT, "forward of %d tokens in %d request(s): %.3f s (%.0f tokens/s)%n",
                    tokens, requests, median, tokens / median));
        } else {
            double min = Arrays.stream(nanos).min().orElse(0) / 1e9;
            double max = Arrays.stream(nanos).max().orElse(0) / 1e9;
            sb.append(String.format(Locale.ROOT, "forward of %d tokens in %d request(s): median %.3f s over %d run(s) "
                    + "after %d warm-up (min %.3f, max %.3f), %.0f tokens/s%n", tokens, requests, median, repeat, warmup,
                    min, max, tokens / median));
        }
        long peak = peakRssKib();
        if (peak > 0) {
            sb.append(String.format(Locale.ROOT, "peak RSS %s: %.1f MiB%n",
                    peakReset ? "during the timed forwards (weights included)" : "of the process", peak / 1024.0));
        }
        return sb.toString();
    }

    /** Resets the kernel's peak-RSS mark (Linux: "5" into /proc/self/clear_refs); false where that is not possible. */
    static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** VmHWM from /proc/self/status (Linux), in KiB; -1 where unavailable. */
    static long peakRssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
