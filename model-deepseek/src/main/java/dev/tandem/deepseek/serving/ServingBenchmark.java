package dev.tandem.deepseek.serving;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a {@link DeepSeekEngine} the way vLLM's serving benchmark drives a server: {@code numPrompts} random
 * prompts of {@code inputLen} tokens arriving as a Poisson process of {@code requestRate} per second (or all at
 * once), at most {@code maxConcurrency} in flight, each followed by {@code outputLen - 1} decode steps (the last
 * output row fed back as the next input, since the engine runs decoder layers without an LM head). Measures
 * time to first output (TTFT: from sending the prompt to its prefill output) and inter-token latency (ITL).
 *
 * @param inputLen       prompt tokens
 * @param outputLen      outputs per request (1: prefill only)
 * @param numPrompts     requests
 * @param requestRate    requests per second, or infinity to send them all at once
 * @param maxConcurrency most requests in flight (0 for no limit)
 * @param seed           seed of prompts and arrival times
 */
public record ServingBenchmark(int inputLen, int outputLen, int numPrompts, double requestRate, int maxConcurrency,
                               long seed) {

    /**
     * Validates the parameters.
     *
     * @throws IllegalArgumentException if a length or the prompt count is below 1, the rate is not positive or the
     *         concurrency is negative
     */
    public ServingBenchmark {
        if (inputLen < 1 || outputLen < 1 || numPrompts < 1) {
            throw new IllegalArgumentException("input length, output length and prompts must be at least 1");
        }
        if (!(requestRate > 0)) {
            throw new IllegalArgumentException("request rate must be positive (or infinite), got " + requestRate);
        }
        if (maxConcurrency < 0) {
            throw new IllegalArgumentException("max concurrency must not be negative, got " + maxConcurrency);
        }
    }

    /**
     * What one run measured.
     *
     * @param completed         requests that finished
     * @param failed            requests that failed
     * @param inputTokens       prompt tokens sent
     * @param outputTokens      outputs received
     * @param durationSeconds   wall time of the run in seconds
     * @param ttftMillis        time to first output of each successful request, in milliseconds
     * @param itlMillis         gaps between consecutive outputs, in milliseconds
     * @param engineSteps       engine steps run
     * @param meanStepSequences mean requests per engine step
     * @param overlappedSteps   engine steps that ran overlapped
     * @param firstFailure      the first failure's description, or null
     */
    public record Result(int completed, int failed, long inputTokens, long outputTokens, double durationSeconds,
                         double[] ttftMillis, double[] itlMillis, int engineSteps, double meanStepSequences,
                         int overlappedSteps, String firstFailure) {
        /** {@return completed requests per second} */
        public double requestThroughput() {
            return completed / durationSeconds;
        }

        /** {@return prompt tokens per second} */
        public double inputTokenThroughput() {
            return inputTokens / durationSeconds;
        }

        /** {@return outputs per second} */
        public double outputTokenThroughput() {
            return outputTokens / durationSeconds;
        }

        /** {@return the mean time to first output in milliseconds, or NaN without any} */
        public double meanTtft() {
            return mean(ttftMillis);
        }

        /**
         * Nearest-rank percentile of the time to first output.
         *
         * @param p the percentile, 0 to 100
         * @return milliseconds, or NaN without any
         */
        public double ttftPercentile(double p) {
            return percentile(ttftMillis, p);
        }

        /** {@return the mean inter-token latency in milliseconds, or NaN without any} */
        public double meanItl() {
            return mean(itlMillis);
        }

        /**
         * Nearest-rank percentile of the inter-token latency.
         *
         * @param p the percentile, 0 to 100
         * @return milliseconds, or NaN without any
         */
        public double itlPercentile(double p) {
            return percentile(itlMillis, p);
        }
    }

    /** Counts engine steps for the report (composed with the caller's listeners by the builder). */
    public static final class StepCounter implements EngineListener {
        private final AtomicInteger steps = new AtomicInteger();
        private final AtomicLong sequences = new AtomicLong();
        private final AtomicInteger overlapped = new AtomicInteger();

        /** A counter at zero. */
        public StepCounter() {
        }

        @Override
        public void onStep(StepMetrics step) {
            steps.incrementAndGet();
            sequences.addAndGet(step.sequences());
            if (step.overlapped()) {
                overlapped.incrementAndGet();
            }
        }
    }

    /**
     * Runs the benchmark on {@code engine}, which must have been built with {@code counter} as a listener.
     *
     * @param engine  the engine to load
     * @param counter the step counter registered with the engine
     * @return what the run measured
     */
    public Result run(DeepSeekEngine engine, StepCounter counter) {
        int d = engine.config().hiddenSize();
        SplittableRandom random = new SplittableRandom(seed);
        long[] arrivals = new long[numPrompts];
        double t = 0;
        for (int i = 0; i < numPrompts; i++) {
            arrivals[i] = Double.isInfinite(requestRate) ? 0 : (long) (t * 1e9);
            t += -Math.log(1 - random.nextDouble()) / requestRate;
        }
        int steps0 = counter.steps.get();
        long sequences0 = counter.sequences.get();
        int overlapped0 = counter.overlapped.get();
        Semaphore slots = new Semaphore(maxConcurrency == 0 ? Integer.MAX_VALUE : maxConcurrency);
        double[] ttft = new double[numPrompts];
        List<double[]> itl = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        String[] firstFailure = new String[1];
        List<CompletableFuture<Void>> all = new ArrayList<>();
        long base = 1L << 40;   // request ids of this run
        try (ExecutorService callbacks = Executors.newFixedThreadPool(2, r -> {
            Thread th = new Thread(r, "bench-serving-client");
            th.setDaemon(true);
            return th;
        })) {
            long start = System.nanoTime();
            for (int i = 0; i < numPrompts; i++) {
                long wait = start + arrivals[i] - System.nanoTime();
                if (wait > 0) {
                    sleepNanos(wait);
                }
                slots.acquireUninterruptibly();
                long id = base + i;
                float[] prompt = gaussian(random, inputLen * d);
                int index = i;
                double[] gaps = new double[outputLen - 1];
                synchronized (itl) {
                    itl.add(gaps);
                }
                long sent = System.nanoTime();
                CompletableFuture<StepResult> first = engine.submit(id, prompt, positions(0, inputLen));
                // Timing and the next decode step run where the output completes (submit never blocks on the
                // scheduler); only the blocking release hops to a client thread.
                CompletableFuture<StepResult> chain = first.thenApply(r -> {
                    ttft[index] = (System.nanoTime() - sent) / 1e6;
                    return r;
                });
                for (int k = 1; k < outputLen; k++) {
                    int step = k;
                    long[] last = new long[1];
                    chain = chain.thenCompose(prev -> {
                        last[0] = System.nanoTime();
                        float[] next = Arrays.copyOfRange(prev.hidden(), prev.hidden().length - d, prev.hidden().length);
                        return engine.submit(id, next, new int[]{inputLen + step - 1});
                    }).thenApply(r -> {
                        gaps[step - 1] = (System.nanoTime() - last[0]) / 1e6;
                        return r;
                    });
                }
                all.add(chain.handleAsync((r, error) -> {
                    if (error != null) {
                        failed.incrementAndGet();
                        ttft[index] = Double.NaN;
                        synchronized (firstFailure) {
                            if (firstFailure[0] == null) {
                                firstFailure[0] = String.valueOf(error.getCause() != null ? error.getCause() : error);
                            }
                        }
                    }
                    try {
                        engine.release(id);
                    } finally {
                        slots.release();
                    }
                    return null;
                }, callbacks));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            int ok = numPrompts - failed.get();
            double[] ttfts = Arrays.stream(ttft).filter(v -> !Double.isNaN(v)).toArray();
            double[] itls = itl.stream().flatMapToDouble(Arrays::stream).filter(v -> v > 0).toArray();
            int steps = counter.steps.get() - steps0;
            double meanSequences = steps == 0 ? 0 : (counter.sequences.get() - sequences0) / (double) steps;
            return new Result(ok, failed.get(), (long) ok * inputLen, (long) ok * outputLen, seconds, ttfts, itls,
                    steps, meanSequences, counter.overlapped.get() - overlapped0, firstFailure[0]);
        }
    }

    private static int[] positions(int from, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static double mean(double[] v) {
        return v.length == 0 ? Double.NaN : Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** Nearest-rank percentile (as numpy's 'lower' interpolation would pick). */
    static double percentile(double[] v, double p) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /**
     * The vLLM-style report of one run.
     *
     * @param label the run's name in the title
     * @param r     the run's result
     * @return the multi-line report
     */
    public static String format(String label, Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "============ Serving Benchmark Result (%s) ============%n", label));
        line(sb, "Successful requests:", "%d", r.completed());
        if (r.failed() > 0) {
            line(sb, "Failed requests:", "%d", r.failed());
            sb.append("  first failure: ").append(r.firstFailure()).append(System.lineSeparator());
        }
        line(sb, "Benchmark duration (s):", "%.2f", r.durationSeconds());
        line(sb, "Total input tokens:", "%d", r.inputTokens());
        line(sb, "Request throughput (req/s):", "%.2f", r.requestThroughput());
        line(sb, "Input token throughput (tok/s):", "%.1f", r.inputTokenThroughput());
        line(sb, "Output token throughput (tok/s):", "%.1f", r.outputTokenThroughput());
        sb.append(String.format(Locale.ROOT, "---------------Time to First Token----------------%n"));
        line(sb, "Mean TTFT (ms):", "%.2f", r.meanTtft());
        line(sb, "Median TTFT (ms):", "%.2f", r.ttftPercentile(50));
        line(sb, "P90 TTFT (ms):", "%.2f", r.ttftPercentile(90));
        line(sb, "P99 TTFT (ms):", "%.2f", r.ttftPercentile(99));
        if (r.itlMillis().length > 0) {
            sb.append(String.format(Locale.ROOT, "---------------Inter-token Latency----------------%n"));
            line(sb, "Mean ITL (ms):", "%.2f", r.meanItl());
            line(sb, "Median ITL (ms):", "%.2f", r.itlPercentile(50));
            line(sb, "P90 ITL (ms):", "%.2f", r.itlPercentile(90));
            line(sb, "P99 ITL (ms):", "%.2f", r.itlPercentile(99));
        }
        sb.append(String.format(Locale.ROOT, "---------------Engine----------------------------%n"));
        line(sb, "Engine steps:", "%d", r.engineSteps());
        line(sb, "Mean requests per step:", "%.2f", r.meanStepSequences());
        line(sb, "Overlapped steps:", "%d", r.overlappedSteps());
        sb.append(String.format(Locale.ROOT, "==================================================%n"));
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, String format, Object value) {
        sb.append(String.format(Locale.ROOT, "%-40s " + format + "%n", name, value));
    }
}
