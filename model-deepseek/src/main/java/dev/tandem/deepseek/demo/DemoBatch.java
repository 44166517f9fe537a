package dev.tandem.deepseek.demo;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.runtime.schedule.MicroBatchPlan;
import dev.tandem.runtime.schedule.RequestShape;
import dev.tandem.deepseek.serving.ForwardResult;
import dev.tandem.deepseek.serving.ScheduleChoice;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fixed prefill batch of equal-length requests with seeded random hidden states. Every run uses fresh request
 * ids and releases their KV caches afterwards, so repeated runs compute the same thing.
 */
final class DemoBatch {
    private final int hiddenSize;
    private final List<float[]> hidden;
    private final List<int[]> positions;
    private long nextId = 1;

    private DemoBatch(int hiddenSize, List<float[]> hidden, List<int[]> positions) {
        this.hiddenSize = hiddenSize;
        this.hidden = hidden;
        this.positions = positions;
    }

    static DemoBatch random(DeepSeekConfig config, int requests, int tokens, long seed) {
        if (tokens < requests) {
            throw new IllegalArgumentException(tokens + " tokens cannot fill " + requests + " requests");
        }
        SplittableRandom random = new SplittableRandom(seed);
        int d = config.hiddenSize();
        List<float[]> hidden = new ArrayList<>();
        List<int[]> positions = new ArrayList<>();
        for (int r = 0; r < requests; r++) {
            int n = tokens / requests + (r < tokens % requests ? 1 : 0);
            float[] h = new float[n * d];
            for (int i = 0; i < h.length; i++) {
                h[i] = (float) random.nextGaussian();
            }
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = i;
            }
            hidden.add(h);
            positions.add(p);
        }
        return new DemoBatch(d, hidden, positions);
    }

    int tokens() {
        return positions.stream().mapToInt(p -> p.length).sum();
    }

    List<RequestShape> shapes() {
        return positions.stream().map(p -> new RequestShape(p.length, 0)).toList();
    }

    /** One forward of the batch on {@code runner} (any runtime, e.g. the simulated one) under fresh ids. */
    float[] run(DecoderRunner runner, MicroBatchPlan plan, DecoderRunner.Scheduling scheduling) {
        List<DecoderRunner.Request> requests = requests();
        try {
            return runner.forward(requests, plan, scheduling);
        } finally {
            for (DecoderRunner.Request q : requests) {
                runner.release(q.id());
            }
        }
    }

    private List<DecoderRunner.Request> requests() {
        List<DecoderRunner.Request> requests = new ArrayList<>();
        for (int r = 0; r < hidden.size(); r++) {
            requests.add(new DecoderRunner.Request(nextId++, hidden.get(r), positions.get(r)));
        }
        return requests;
    }

    /** One forward of the batch through {@code engine} under fresh ids, whose caches are released afterwards. */
    ForwardResult run(DeepSeekEngine engine, ScheduleChoice choice) {
        List<DecoderRunner.Request> requests = requests();
        try {
            return engine.forward(requests, choice);
        } finally {
            for (DecoderRunner.Request q : requests) {
                engine.release(q.id());
            }
        }
    }

    int hiddenSize() {
        return hiddenSize;
    }
}
