package dev.tandem.deepseek.dbo;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.DecoderRunner;
import dev.tandem.deepseek.model.ModelTestSupport;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;

import java.util.ArrayList;
import java.util.List;

/** Helpers of the dual-batch-overlap tests, on top of {@link ModelTestSupport}. */
final class DboSupport {
    private DboSupport() {
    }

    /** A host runtime with {@code devices} devices, as the model tests open it. */
    static TandemRuntime host(int devices, boolean tracing) {
        return host(devices, tracing, "java");
    }

    /** A host runtime whose GEMM is {@code gemm} (host.gemm: java, blas, ...). */
    static TandemRuntime host(int devices, boolean tracing, String gemm) {
        return TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(devices)
                .withComputeThreads(1).withTracing(tracing).withProperty("host.gemm", gemm));
    }

    static float[] randomHidden(int tokens, int d, long seed) {
        return ModelTestSupport.randomHidden(tokens, d, seed);
    }

    static int[] range(int from, int count) {
        int[] p = new int[count];
        for (int i = 0; i < count; i++) {
            p[i] = from + i;
        }
        return p;
    }

    /** Prefill requests {@code 0..lens.length-1} of the given lengths, all in micro-batch {@code mbOf[i]}. */
    static List<DecoderRunner.Request> prefill(DeepSeekConfig c, int[] lens, int[] mbOf, long seed) {
        List<DecoderRunner.Request> out = new ArrayList<>();
        for (int i = 0; i < lens.length; i++) {
            out.add(new DecoderRunner.Request(i, randomHidden(lens[i], c.hiddenSize(), seed * 31 + i), range(0, lens[i]),
                    mbOf == null ? 0 : mbOf[i]));
        }
        return out;
    }

    static double relErr(float[] a, float[] b) {
        return ModelTestSupport.relErr(a, b);
    }

    /** Index and values of the first difference, for failure messages. */
    static String firstDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            return "lengths " + a.length + " vs " + b.length;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return "first difference at " + i + ": " + a[i] + " vs " + b[i] + " (rel err " + relErr(a, b) + ")";
            }
        }
        return "identical";
    }
}
