package dev.tandem.deepseek.serving;

import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.MlaMode;
import dev.tandem.runtime.LinkEmulation;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small engines and steps for the serving tests. */
final class EngineFixtures {
    private EngineFixtures() {
    }

    /**
     * Two ranks, layers 0 (dense) and 1 (MoE) of tiny-v2lite, naive MLA everywhere (so a request's output does not
     * depend on how its tokens were chunked or batched, which makes serial execution a bitwise oracle).
     */
    static DeepSeekEngine.Builder engine() {
        return DeepSeekEngine.builder().preset("tiny-v2lite").randomWeights(5).layers(0, 2).ranks(2)
                .mla(MlaMode.NAIVE).flopsPerSecond(5e9).link(new LinkEmulation(5, 5));
    }

    static float[] hidden(long seed, int tokens, int d) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] h = new float[tokens * d];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) random.nextGaussian();
        }
        return h;
    }

    static int[] positions(int from, int tokens) {
        int[] p = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            p[i] = from + i;
        }
        return p;
    }

    /** One submitted step of a request, in the order of the request's steps. */
    record Step(long id, int from, float[] hidden) {
        int tokens(int d) {
            return hidden.length / d;
        }

        Request request(int d) {
            return new Request(id, hidden, positions(from, tokens(d)));
        }
    }

    /** The oracle: every request's steps run one by one, alone and sequentially, on a fresh engine. */
    static List<float[]> serial(List<List<Step>> requests) {
        List<float[]> out = new ArrayList<>();
        try (DeepSeekEngine oracle = engine().build()) {
            int d = oracle.config().hiddenSize();
            for (List<Step> steps : requests) {
                for (Step s : steps) {
                    out.add(oracle.forward(List.of(s.request(d)), ScheduleChoice.sequential()).hidden());
                }
                oracle.release(steps.getFirst().id());
            }
        }
        return out;
    }
}
