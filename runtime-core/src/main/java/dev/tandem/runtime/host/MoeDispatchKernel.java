package dev.tandem.runtime.host;

import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.Tensor;

/** The host's {@code moeDispatch} (see {@link dev.tandem.runtime.Kernels#moeDispatch}): a counting sort by expert. */
final class MoeDispatchKernel {
    private MoeDispatchKernel() {
    }

    /** For validated x [n, d], expertIdx [n, k] I32, sortedRows [n*k, d], rowOf [n*k] I32, counts [e] I32. */
    static void run(KernelLauncher launcher, Tensor x, Tensor expertIdx, int experts, Tensor sortedRows, Tensor rowOf,
                    Tensor counts) {
        int n = x.size(0);
        int d = x.size(1);
        int k = expertIdx.size(1);
        long[] ids = new long[n * k];
        TensorAccess.of(launcher, expertIdx).readLongs(0, ids, 0, ids.length);
        long[] hist = new long[experts];
        for (int f = 0; f < ids.length; f++) {
            if (ids[f] < 0 || ids[f] >= experts) {
                throw new OutOfRangeException("moeDispatch: expertIdx[" + f / k + "][" + f % k + "] = " + ids[f]
                        + " is outside [0, " + experts + ")");
            }
            hist[(int) ids[f]]++;
        }
        long[] next = new long[experts];
        for (int e = 1; e < experts; e++) {
            next[e] = next[e - 1] + hist[e - 1];
        }
        long[] rows = new long[ids.length];
        for (int f = 0; f < ids.length; f++) {
            rows[f] = next[(int) ids[f]]++;
        }
        TensorAccess in = TensorAccess.of(launcher, x);
        TensorAccess out = TensorAccess.of(launcher, sortedRows);
        float[] row = new float[d];
        for (int f = 0; f < ids.length; f++) {
            in.readFloats((long) (f / k) * d, row, 0, d);
            out.writeFloats(rows[f] * d, row, 0, d);
        }
        TensorAccess.of(launcher, rowOf).writeLongs(0, rows, 0, rows.length);
        TensorAccess.of(launcher, counts).writeLongs(0, hist, 0, experts);
    }
}
