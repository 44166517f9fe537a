package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Helpers for the model tests, also used by the dual-batch-overlap tests. */
public final class ModelTestSupport {
    private ModelTestSupport() {
    }

    static TandemRuntime host(int devices) {
        return TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(devices).withComputeThreads(2));
    }

    public static float[] randomHidden(int tokens, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[tokens * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1) * 1.5f;
        }
        return x;
    }

    static int[] positions(int[] seqLens) {
        int t = 0;
        for (int n : seqLens) {
            t += n;
        }
        int[] p = new int[t];
        int row = 0;
        for (int n : seqLens) {
            for (int j = 0; j < n; j++) {
                p[row++] = j;
            }
        }
        return p;
    }

    /** One request per entry of seqLens, rows taken in order from {@code hidden}. */
    static List<DecoderRunner.Request> requests(DeepSeekConfig c, float[] hidden, int[] seqLens) {
        List<DecoderRunner.Request> out = new ArrayList<>();
        int[] pos = positions(seqLens);
        int row = 0;
        int d = c.hiddenSize();
        for (int r = 0; r < seqLens.length; r++) {
            int n = seqLens[r];
            float[] h = java.util.Arrays.copyOfRange(hidden, row * d, (row + n) * d);
            out.add(new DecoderRunner.Request(r, h, java.util.Arrays.copyOfRange(pos, row, row + n)));
            row += n;
        }
        return out;
    }

    /** max |a-b| / max(1, max |b|). */
    public static double relErr(float[] a, double[] b) {
        double max = 1;
        double err = 0;
        for (int i = 0; i < b.length; i++) {
            max = Math.max(max, Math.abs(b[i]));
            err = Math.max(err, Math.abs(a[i] - b[i]));
        }
        return err / max;
    }

    public static double relErr(float[] a, float[] b) {
        double[] bd = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            bd[i] = b[i];
        }
        return relErr(a, bd);
    }

    static double[] flat(double[][] x) {
        int d = x.length == 0 ? 0 : x[0].length;
        double[] out = new double[x.length * d];
        for (int t = 0; t < x.length; t++) {
            System.arraycopy(x[t], 0, out, t * d, d);
        }
        return out;
    }
}
