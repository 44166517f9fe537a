package dev.tandem.runtime.host;

import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.MoeGating;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.spi.KernelContract;

import java.util.List;
import java.util.Objects;

/**
 * The host device's kernels, in pure Java: the math (in {@link Gemm}, {@link Elementwise}, {@link Normalization},
 * {@link Softmax}, {@link Rope}, {@link TopK}, {@link IndexOps} and {@link Casts}) enqueued through the
 * {@link KernelLauncher}; matmul goes to the runtime's {@link HostGemm}. Arguments arrive validated by
 * {@link KernelContract}, which the device puts in front. Host choices the contract leaves open: {@code topk} ranks
 * NaN below every number and -0.0 ties +0.0 (lower index first); {@code softmax} turns a row whose visible entries
 * are all negative infinity into zeros; {@code indexSelect} and {@code copy} move elements of any dtype bit for bit.
 */
public final class HostKernels implements Kernels {
    private final KernelLauncher launcher;
    private final HostGemm gemm;

    /**
     * Kernels that hand the (already validated) work to {@code launcher}; matmul goes to the GEMM chosen by
     * {@code -Dtandem.gemm} (default auto; see {@link HostGemms}) when the first product runs.
     */
    public HostKernels(KernelLauncher launcher) {
        this(launcher, HostGemms.deferred());
    }

    HostKernels(KernelLauncher launcher, HostGemm gemm) {
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.gemm = Objects.requireNonNull(gemm, "gemm");
    }

    HostGemm gemm() {
        return gemm;
    }

    @Override
    public void matmul(Stream stream, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        launcher.launch(stream, "matmul", List.of(a, b), List.of(out),
                () -> gemm.matmul(launcher, a, transposeA, b, transposeB, out));
    }

    @Override
    public void add(Stream stream, Tensor a, Tensor b, Tensor out) {
        binary("add", Elementwise.Op.ADD, stream, a, b, 1f, out);
    }

    @Override
    public void mul(Stream stream, Tensor a, Tensor b, Tensor out) {
        binary("mul", Elementwise.Op.MUL, stream, a, b, 1f, out);
    }

    @Override
    public void addScaled(Stream stream, Tensor a, Tensor b, float alpha, Tensor out) {
        binary("addScaled", Elementwise.Op.ADD_SCALED, stream, a, b, alpha, out);
    }

    @Override
    public void scale(Stream stream, Tensor a, float alpha, Tensor out) {
        unary("scale", Elementwise.Op.SCALE, stream, a, alpha, out);
    }

    @Override
    public void silu(Stream stream, Tensor x, Tensor out) {
        unary("silu", Elementwise.Op.SILU, stream, x, 1f, out);
    }

    @Override
    public void sigmoid(Stream stream, Tensor x, Tensor out) {
        unary("sigmoid", Elementwise.Op.SIGMOID, stream, x, 1f, out);
    }

    @Override
    public void swiglu(Stream stream, Tensor gate, Tensor up, Tensor out) {
        launcher.launch(stream, "swiglu", List.of(gate, up), List.of(out),
                () -> Elementwise.apply(launcher, Elementwise.Op.SWIGLU, gate, up, 1f, out));
    }

    @Override
    public void swiglu(Stream stream, Tensor x, int dim, Tensor out) {
        int axis = dim < 0 ? dim + x.rank() : dim;
        long n = x.dim(axis);
        Tensor gate = x.slice(axis, 0, n / 2);
        Tensor up = x.slice(axis, n / 2, n);
        launcher.launch(stream, "swiglu", List.of(x), List.of(out),
                () -> Elementwise.apply(launcher, Elementwise.Op.SWIGLU, gate, up, 1f, out));
    }

    private void binary(String op, Elementwise.Op kind, Stream stream, Tensor a, Tensor b, float alpha, Tensor out) {
        launcher.launch(stream, op, List.of(a, b), List.of(out), () -> Elementwise.apply(launcher, kind, a, b, alpha, out));
    }

    private void unary(String op, Elementwise.Op kind, Stream stream, Tensor x, float alpha, Tensor out) {
        launcher.launch(stream, op, List.of(x), List.of(out), () -> Elementwise.apply(launcher, kind, x, null, alpha, out));
    }

    @Override
    public void rmsNorm(Stream stream, Tensor x, Tensor weight, float eps, Tensor out) {
        launcher.launch(stream, "rmsNorm", List.of(x, weight), List.of(out),
                () -> Normalization.rmsNorm(launcher, x, weight, eps, out));
    }

    @Override
    public void softmax(Stream stream, Tensor x, Tensor out, long causalOffset) {
        launcher.launch(stream, "softmax", List.of(x), List.of(out),
                () -> Softmax.softmax(launcher, x, out, causalOffset));
    }

    @Override
    public void attention(Stream stream, Tensor q, Tensor k, Tensor qRope, Tensor kRope, Tensor v, float scale,
                          long causalOffset, Tensor out) {
        List<Tensor> reads = qRope == null ? List.of(q, k, v) : List.of(q, k, v, qRope, kRope);
        launcher.launchAttention(stream, reads, List.of(out), causalOffset,
                () -> Attention.attention(launcher, q, k, qRope, kRope, v, scale, causalOffset, out));
    }

    @Override
    public void decodeAttention(Stream stream, Tensor q, Tensor qRope, List<Tensor> keys, List<Tensor> kRopes,
                                List<Tensor> values, float scale, Tensor out) {
        launcher.launchDecodeAttention(stream, q, qRope, keys, kRopes, values, out,
                () -> Attention.decode(launcher, q, qRope, keys, kRopes, values, scale, out));
    }

    @Override
    public void copyEach(Stream stream, List<Tensor> sources, List<Tensor> outs) {
        launcher.launch(stream, "copyEach", sources, outs, () -> {
            for (int i = 0; i < sources.size(); i++) {
                Casts.copy(launcher, sources.get(i), outs.get(i));
            }
        });
    }

    @Override
    public void rope(Stream stream, Tensor x, Tensor positions, Tensor frequencies, Tensor out) {
        launcher.launch(stream, "rope", List.of(x, positions, frequencies), List.of(out),
                () -> Rope.rope(launcher, x, positions, frequencies, out));
    }

    @Override
    public void topk(Stream stream, Tensor x, int k, Tensor values, Tensor indices) {
        launcher.launch(stream, "topk", List.of(x), List.of(values, indices),
                () -> TopK.topk(launcher, x, k, values, indices));
    }

    @Override
    public void moeGatingTopK(Stream stream, Tensor logits, Tensor bias, MoeGating gating, Tensor weights, Tensor indices) {
        List<Tensor> reads = bias == null ? List.of(logits) : List.of(logits, bias);
        launcher.launch(stream, "moeGatingTopK", reads, List.of(weights, indices),
                () -> MoeGatingKernel.run(launcher, logits, bias, gating, weights, indices));
    }

    @Override
    public void moeDispatch(Stream stream, Tensor x, Tensor expertIdx, int numExperts, Tensor sortedRows, Tensor rowOf,
                            Tensor counts) {
        launcher.launch(stream, "moeDispatch", List.of(x, expertIdx), List.of(sortedRows, rowOf, counts),
                () -> MoeDispatchKernel.run(launcher, x, expertIdx, numExperts, sortedRows, rowOf, counts));
    }

    @Override
    public void indexSelect(Stream stream, Tensor source, Tensor indices, Tensor out) {
        launcher.launch(stream, "indexSelect", List.of(source, indices), List.of(out),
                () -> IndexOps.indexSelect(launcher, source, indices, out));
    }

    @Override
    public void indexAdd(Stream stream, Tensor target, Tensor indices, Tensor source, float alpha) {
        launcher.launch(stream, "indexAdd", List.of(indices, source), List.of(target),
                () -> IndexOps.indexAdd(launcher, target, indices, source, alpha));
    }

    @Override
    public void cast(Stream stream, Tensor source, Tensor out) {
        launcher.launch(stream, "cast", List.of(source), List.of(out), () -> Casts.cast(launcher, source, out));
    }

    @Override
    public void copy(Stream stream, Tensor source, Tensor out) {
        launcher.launch(stream, "copy", List.of(source), List.of(out), () -> Casts.copy(launcher, source, out));
    }

    @Override
    public void fill(Stream stream, Tensor out, double value) {
        long pattern = Casts.fillBits(out.dtype(), value);
        launcher.launch(stream, "fill", List.of(), List.of(out), () -> Casts.fill(launcher, out, pattern));
    }
}
