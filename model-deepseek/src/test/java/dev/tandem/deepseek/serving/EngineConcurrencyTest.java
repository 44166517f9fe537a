package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.LeakCheck;
import dev.tandem.deepseek.serving.EngineFixtures.Step;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tandem.deepseek.serving.EngineFixtures.hidden;
import static dev.tandem.deepseek.serving.EngineFixtures.positions;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many caller threads, random mixes of prefills (some longer than the token budget, so chunked), continued
 * prefills and decode steps, some pipelined without waiting and some waited for one by one, plus blocking
 * overlapped forwards from other threads: every output must equal, bit for bit, serial execution of the same
 * steps. Seed with {@code -Dengine.seed=<n>}.
 */
class EngineConcurrencyTest extends LeakCheck {
    private static final long SEED = Long.getLong("engine.seed", 42);
    private static final int THREADS = 8;

    @Test
    void concurrentCallersGetExactlyTheirSerialResults() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        List<List<Step>> plans = new ArrayList<>();
        List<Boolean> pipelined = new ArrayList<>();
        List<Boolean> blocking = new ArrayList<>();
        int d = dev.tandem.deepseek.config.DeepSeekConfig.preset("tiny-v2lite").hiddenSize();
        for (int t = 0; t < THREADS * 2; t++) {
            long id = 1000 + t;
            List<Step> steps = new ArrayList<>();
            int at = 0;
            int pieces = 1 + random.nextInt(2);    // a prompt in one or two submitted steps
            for (int p = 0; p < pieces; p++) {
                int n = 1 + random.nextInt(p == 0 ? 40 : 10);
                steps.add(new Step(id, at, hidden(SEED * 31 + id * 7 + p, n, d)));
                at += n;
            }
            int decodes = random.nextInt(4);
            for (int k = 0; k < decodes; k++) {
                steps.add(new Step(id, at, hidden(SEED * 31 + id * 7 + 10 + k, 1, d)));
                at++;
            }
            plans.add(steps);
            pipelined.add(random.nextBoolean());
            blocking.add(t % 5 == 4);
        }
        List<float[]> expected = EngineFixtures.serial(plans);

        AtomicInteger engineSteps = new AtomicInteger();
        AtomicInteger sharedSteps = new AtomicInteger();
        EngineListener listener = new EngineListener() {
            @Override
            public void onStep(StepMetrics step) {
                engineSteps.incrementAndGet();
                if (step.sequences() > 1) {
                    sharedSteps.incrementAndGet();
                }
            }
        };
        List<float[]> served = new ArrayList<>();
        try (DeepSeekEngine engine = EngineFixtures.engine().tokenBudget(24).maxSequences(5).listener(listener).build();
             ExecutorService callers = Executors.newFixedThreadPool(THREADS)) {
            List<Future<List<float[]>>> results = new ArrayList<>();
            for (int t = 0; t < plans.size(); t++) {
                List<Step> steps = plans.get(t);
                boolean pipe = pipelined.get(t);
                boolean block = blocking.get(t);
                results.add(callers.submit(() -> run(engine, steps, pipe, block, d)));
            }
            for (Future<List<float[]>> f : results) {
                served.addAll(f.get(120, TimeUnit.SECONDS));
            }
            assertThat(engine.queuedSteps()).isZero();
            for (List<Step> steps : plans) {
                engine.release(steps.getFirst().id());
            }
            assertThat(engine.cacheBytes()).containsOnly(0L);
        }
        assertThat(served).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(served.get(i)).as("step %d (seed %d)", i, SEED).containsExactly(expected.get(i));
        }
        // the scheduler did batch across callers
        assertThat(sharedSteps.get()).as("engine steps with several requests, of %d", engineSteps.get()).isPositive();
    }

    private static List<float[]> run(DeepSeekEngine engine, List<Step> steps, boolean pipelined, boolean blocking, int d)
            throws Exception {
        List<float[]> out = new ArrayList<>();
        if (blocking) {
            for (Step s : steps) {
                out.add(engine.forward(List.of(s.request(d)), ScheduleChoice.overlapped(2)).hidden());
            }
            return out;
        }
        List<CompletableFuture<StepResult>> futures = new ArrayList<>();
        for (Step s : steps) {
            CompletableFuture<StepResult> f = engine.submit(s.id(), s.hidden(), positions(s.from(), s.tokens(d)));
            if (pipelined) {
                futures.add(f);
            } else {
                out.add(f.get(60, TimeUnit.SECONDS).hidden());
            }
        }
        for (CompletableFuture<StepResult> f : futures) {
            out.add(f.get(60, TimeUnit.SECONDS).hidden());
        }
        return out;
    }

    /** The probe's case: 6 threads x 6 overlapped forwards on one engine used to deadlock the collectives. */
    @Test
    void sixThreadsOfOverlappedForwardsNeitherDeadlockNorMix() throws Exception {
        int d = dev.tandem.deepseek.config.DeepSeekConfig.preset("tiny-v2lite").hiddenSize();
        List<List<Step>> plans = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            List<Step> steps = new ArrayList<>();
            for (int k = 0; k < 6; k++) {
                steps.add(new Step(2000 + t, k * 3, hidden(77 + t * 10 + k, 3, d)));   // 3 tokens per forward
            }
            plans.add(steps);
        }
        List<float[]> expected = EngineFixtures.serial(plans);
        List<float[]> served = new ArrayList<>();
        try (DeepSeekEngine engine = EngineFixtures.engine().build();
             ExecutorService callers = Executors.newFixedThreadPool(6)) {
            List<Future<List<float[]>>> results = new ArrayList<>();
            for (List<Step> steps : plans) {
                results.add(callers.submit(() -> run(engine, steps, false, true, d)));
            }
            for (Future<List<float[]>> f : results) {
                served.addAll(f.get(120, TimeUnit.SECONDS));
            }
            for (List<Step> steps : plans) {
                engine.release(steps.getFirst().id());
            }
        }
        for (int i = 0; i < expected.size(); i++) {
            assertThat(served.get(i)).as("forward %d", i).containsExactly(expected.get(i));
        }
    }
}
