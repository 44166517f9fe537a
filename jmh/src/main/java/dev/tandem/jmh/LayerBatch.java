package dev.tandem.jmh;

import dev.tandem.deepseek.model.DecoderRunner.Request;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fixed prefill batch of equal-length requests with seeded random hidden states. Each {@link #requests()} call
 * hands out fresh ids, so every forward starts from empty KV caches and computes the same thing.
 */
final class LayerBatch {
    private final List<float[]> hidden = new ArrayList<>();
    private final int[] positions;
    private long nextId = 1;

    LayerBatch(int hiddenSize, int requests, int tokens, long seed) {
        if (tokens % requests != 0) {
            throw new IllegalArgumentException(tokens + " tokens do not split into " + requests + " equal requests");
        }
        int perRequest = tokens / requests;
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < requests; r++) {
            float[] h = new float[perRequest * hiddenSize];
            for (int i = 0; i < h.length; i++) {
                h[i] = (float) random.nextGaussian();
            }
            hidden.add(h);
        }
        positions = new int[perRequest];
        for (int i = 0; i < perRequest; i++) {
            positions[i] = i;
        }
    }

    /** The batch under ids no earlier call used; the caller releases them after the forward. */
    List<Request> requests() {
        List<Request> out = new ArrayList<>(hidden.size());
        for (float[] h : hidden) {
            out.add(new Request(nextId++, h, positions));
        }
        return out;
    }
}
