package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/**
 * The pure-Java GEMMs: {@code c[i,j] = sum over p of a[i,p] * bt[j,p]} with a packed row-major [m,k] and bt
 * (op(b) transposed, [n,k]) read a panel at a time through a {@link PanelReader}.
 *
 * <p>Determinism: every output element is one F32 accumulator that starts at 0 and adds the rounded product
 * {@code a[i,p] * bt[j,p]} for p = 0, 1, ..., k-1 in that order (a multiply, then an add: never fused). Tiles
 * over rows, columns and k only decide when an accumulator is parked in {@code c} and picked up again, never the
 * order of its additions; so every subclass gives bitwise the result of the naive triple loop, whatever its
 * tiling, vector width and thread count.
 */
abstract class JavaGemm implements HostGemm {

    @Override
    public final void matmul(KernelLauncher launcher, Tensor a, boolean transposeA, Tensor b, boolean transposeB,
                             Tensor out) {
        boolean batched = a.rank() == 3;
        int batches = batched ? a.size(0) : 1;
        int m = out.size(-2);
        int n = out.size(-1);
        int k = transposeA ? a.size(-2) : a.size(-1);
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        PanelReader shared = b.rank() == 2 ? new PanelReader(launcher, b, transposeB) : null;
        for (int batch = 0; batch < batches; batch++) {
            float[] packedA = Gemm.pack(launcher, batched ? a.select(0, batch) : a, transposeA);
            PanelReader bt = shared != null ? shared : new PanelReader(launcher, b.select(0, batch), transposeB);
            int count = Math.multiplyExact(m, n);
            float[] c = KernelScratch.floats(KernelScratch.Use.PRODUCT, count);
            java.util.Arrays.fill(c, 0, count, 0f);
            multiply(launcher, packedA, bt, c, m, n, k);
            outAccess.writeFloats((long) batch * m * n, c, 0, count);
        }
    }

    /** {@code c += a x bt^T} for packed a [m,k] and c [m,n] (zeroed for a plain product); may split over the launcher's threads. */
    abstract void multiply(KernelLauncher launcher, float[] a, PanelReader bt, float[] c, int m, int n, int k);
}
