package dev.tandem.runtime.spi;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.MoeGating;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.util.List;
import java.util.Objects;

/**
 * The one place the {@link Kernels} contract is checked, for every backend: each call validates all of its
 * arguments here, then hands them to the backend's implementation, which may assume them valid. A backend's
 * {@code Device.kernels()} returns {@code KernelContract.wrap(itsKernels)}, so the same bad input fails with the
 * same exception type and message on every backend. The rules it enforces:
 * <ul>
 *   <li>{@code NullPointerException} for a null stream or tensor; {@link dev.tandem.runtime.HandleClosedException}
 *       for a closed stream or a tensor in a closed buffer; {@link dev.tandem.runtime.WrongDeviceException} for a
 *       tensor on another device than the stream.</li>
 *   <li>{@link ShapeException} for a wrong dtype, rank or shape, a strided output, or an output that overlaps an
 *       input. An output may alias an input only as exactly the same view, and only for element-wise and row-wise
 *       kernels ({@code add, mul, scale, addScaled, silu, swiglu, sigmoid, rmsNorm, softmax, rope, cast, copy});
 *       disjoint parts of one buffer are independent tensors and are accepted everywhere.</li>
 *   <li>{@link OutOfRangeException} for a value out of range: {@code k} of topk, {@code eps} of rmsNorm, a fill
 *       value the dtype cannot hold, a size beyond {@code Integer.MAX_VALUE} where a row must fit an int.</li>
 *   <li>{@code cast} converts floating to floating and index (I32/I64) to index; other pairs are rejected.</li>
 * </ul>
 */
public final class KernelContract implements Kernels {
    private final Kernels implementation;

    private KernelContract(Kernels implementation) {
        this.implementation = Objects.requireNonNull(implementation, "implementation");
    }

    /**
     * The backend's kernels behind the shared validation.
     *
     * @param implementation the backend's kernels
     * @return kernels that validate every call before delegating; {@code implementation} itself if already wrapped
     */
    public static Kernels wrap(Kernels implementation) {
        return implementation instanceof KernelContract ? implementation : new KernelContract(implementation);
    }

    @Override
    public void matmul(Stream stream, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        KernelChecks check = new KernelChecks("matmul", stream);
        check.input("a", a);
        check.input("b", b);
        check.output("out", out);
        check.floating("a", a);
        check.floating("b", b);
        check.floating("out", out);
        check.rank("a", a, 2, 3);
        check.rank("b", b, 2, 3);
        if (a.rank() == 2 && b.rank() == 3) {
            throw new ShapeException("matmul: b " + KernelChecks.shape(b) + " is batched but a "
                    + KernelChecks.shape(a) + " is not");
        }
        if (b.rank() == 3 && a.dim(0) != b.dim(0)) {
            throw new ShapeException("matmul: a " + KernelChecks.shape(a) + " and b " + KernelChecks.shape(b)
                    + " disagree on the batch size (" + a.dim(0) + " vs " + b.dim(0) + ")");
        }
        long m = transposeA ? a.dim(-1) : a.dim(-2);
        long k = transposeA ? a.dim(-2) : a.dim(-1);
        long bk = transposeB ? b.dim(-1) : b.dim(-2);
        long n = transposeB ? b.dim(-2) : b.dim(-1);
        if (k != bk) {
            throw new ShapeException("matmul: a " + KernelChecks.shape(a) + (transposeA ? " (transposed)" : "")
                    + " and b " + KernelChecks.shape(b) + (transposeB ? " (transposed)" : "")
                    + " disagree on k (" + k + " vs " + bk + ")");
        }
        long[] expected = a.rank() == 3 ? new long[] {a.dim(0), m, n} : new long[] {m, n};
        check.shapeIs("out", out, expected);
        check.fitsInt("m x k", m * k);
        check.fitsInt("k x n", k * n);
        check.fitsInt("m x n", m * n);
        check.noOverlap("out", out, "a", a, false);
        check.noOverlap("out", out, "b", b, false);
        implementation.matmul(stream, a, transposeA, b, transposeB, out);
    }

    @Override
    public void add(Stream stream, Tensor a, Tensor b, Tensor out) {
        binary("add", stream, a, b, out);
        implementation.add(stream, a, b, out);
    }

    @Override
    public void mul(Stream stream, Tensor a, Tensor b, Tensor out) {
        binary("mul", stream, a, b, out);
        implementation.mul(stream, a, b, out);
    }

    @Override
    public void addScaled(Stream stream, Tensor a, Tensor b, float alpha, Tensor out) {
        binary("addScaled", stream, a, b, out);
        implementation.addScaled(stream, a, b, alpha, out);
    }

    @Override
    public void scale(Stream stream, Tensor a, float alpha, Tensor out) {
        unary("scale", stream, a, out);
        implementation.scale(stream, a, alpha, out);
    }

    @Override
    public void silu(Stream stream, Tensor x, Tensor out) {
        unary("silu", stream, x, out);
        implementation.silu(stream, x, out);
    }

    @Override
    public void sigmoid(Stream stream, Tensor x, Tensor out) {
        unary("sigmoid", stream, x, out);
        implementation.sigmoid(stream, x, out);
    }

    @Override
    public void swiglu(Stream stream, Tensor gate, Tensor up, Tensor out) {
        KernelChecks check = new KernelChecks("swiglu", stream);
        floatingInputs(check, "gate", gate, "up", up);
        floatingOutput(check, out);
        check.sameShape("up", up, "gate", gate);
        check.sameShape("out", out, "gate", gate);
        check.noOverlap("out", out, "gate", gate, true);
        check.noOverlap("out", out, "up", up, true);
        implementation.swiglu(stream, gate, up, out);
    }

    @Override
    public void swiglu(Stream stream, Tensor x, int dim, Tensor out) {
        KernelChecks check = new KernelChecks("swiglu", stream);
        check.input("x", x);
        check.floating("x", x);
        check.output("out", out);
        check.dtype("out", out, x.dtype());
        check.minRank("x", x, 1);
        if (dim < -x.rank() || dim >= x.rank()) {
            throw new OutOfRangeException("swiglu: dim " + dim + " is out of range for x " + KernelChecks.shape(x)
                    + " (rank " + x.rank() + ")");
        }
        int axis = dim < 0 ? dim + x.rank() : dim;
        long n = x.dim(axis);
        if (n % 2 != 0) {
            throw new ShapeException("swiglu: x " + KernelChecks.shape(x) + " has an odd size (" + n + ") along dim "
                    + dim + "; it must split into two equal halves");
        }
        long[] expected = x.shape();
        expected[axis] = n / 2;
        check.shapeIs("out", out, expected);
        check.noOverlap("out", out, "x", x, false);
        implementation.swiglu(stream, x, dim, out);
    }

    private static void binary(String op, Stream stream, Tensor a, Tensor b, Tensor out) {
        KernelChecks check = new KernelChecks(op, stream);
        floatingInputs(check, "a", a, "b", b);
        floatingOutput(check, out);
        check.broadcastsTo("b", b, "a", a);
        check.sameShape("out", out, "a", a);
        check.noOverlap("out", out, "a", a, true);
        check.noOverlap("out", out, "b", b, true);
    }

    private static void unary(String op, Stream stream, Tensor x, Tensor out) {
        KernelChecks check = new KernelChecks(op, stream);
        check.input("x", x);
        check.floating("x", x);
        floatingOutput(check, out);
        check.sameShape("out", out, "x", x);
        check.noOverlap("out", out, "x", x, true);
    }

    @Override
    public void rmsNorm(Stream stream, Tensor x, Tensor weight, float eps, Tensor out) {
        KernelChecks check = new KernelChecks("rmsNorm", stream);
        floatingInputs(check, "x", x, "weight", weight);
        floatingOutput(check, out);
        check.minRank("x", x, 1);
        check.shapeIs("weight", weight, x.dim(-1));
        check.sameShape("out", out, "x", x);
        check.fitsInt("row length", x.dim(-1));
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new OutOfRangeException("rmsNorm: eps must be finite and non-negative, got " + eps);
        }
        check.noOverlap("out", out, "x", x, true);
        check.noOverlap("out", out, "weight", weight, false);
        implementation.rmsNorm(stream, x, weight, eps, out);
    }

    @Override
    public void softmax(Stream stream, Tensor x, Tensor out, long causalOffset) {
        KernelChecks check = new KernelChecks("softmax", stream);
        check.input("x", x);
        check.floating("x", x);
        floatingOutput(check, out);
        check.minRank("x", x, causalOffset >= 0 ? 2 : 1);
        check.sameShape("out", out, "x", x);
        check.fitsInt("row length", x.dim(-1));
        check.noOverlap("out", out, "x", x, true);
        implementation.softmax(stream, x, out, causalOffset);
    }

    @Override
    public void rope(Stream stream, Tensor x, Tensor positions, Tensor frequencies, Tensor out) {
        KernelChecks check = new KernelChecks("rope", stream);
        check.input("x", x);
        check.input("positions", positions);
        check.input("frequencies", frequencies);
        check.floating("x", x);
        check.index("positions", positions);
        check.dtype("frequencies", frequencies, DType.F32);
        floatingOutput(check, out);
        check.rank("x", x, 2, 3);
        long d = x.dim(-1);
        if (d % 2 != 0) {
            throw new ShapeException("rope: x " + KernelChecks.shape(x) + " has an odd last axis (" + d
                    + "); rotary pairs need an even one");
        }
        check.shapeIs("positions", positions, x.dim(0));
        check.shapeIs("frequencies", frequencies, d / 2);
        check.sameShape("out", out, "x", x);
        check.fitsInt("token size", x.numel() / Math.max(1, x.dim(0)));
        check.noOverlap("out", out, "x", x, true);
        check.noOverlap("out", out, "positions", positions, false);
        check.noOverlap("out", out, "frequencies", frequencies, false);
        implementation.rope(stream, x, positions, frequencies, out);
    }

    @Override
    public void topk(Stream stream, Tensor x, int k, Tensor values, Tensor indices) {
        KernelChecks check = new KernelChecks("topk", stream);
        check.input("x", x);
        check.floating("x", x);
        check.output("values", values);
        check.output("indices", indices);
        check.floating("values", values);
        check.index("indices", indices);
        check.rank("x", x, 2);
        long m = x.dim(1);
        if (k < 0 || k > m) {
            throw new OutOfRangeException("topk: k = " + k + " is out of range for x " + KernelChecks.shape(x)
                    + " (rows of " + m + ")");
        }
        check.fitsInt("row length", m);
        check.shapeIs("values", values, x.dim(0), k);
        check.shapeIs("indices", indices, x.dim(0), k);
        check.noOverlap("values", values, "x", x, false);
        check.noOverlap("indices", indices, "x", x, false);
        check.noOverlap("indices", indices, "values", values, false);
        implementation.topk(stream, x, k, values, indices);
    }

    @Override
    public void moeGatingTopK(Stream stream, Tensor logits, Tensor bias, MoeGating gating, Tensor weights, Tensor indices) {
        KernelChecks check = new KernelChecks("moeGatingTopK", stream);
        Objects.requireNonNull(gating, "moeGatingTopK: gating");
        check.input("logits", logits);
        check.floating("logits", logits);
        check.rank("logits", logits, 2);
        check.output("weights", weights);
        check.output("indices", indices);
        check.dtype("indices", indices, DType.I32);
        long e = logits.dim(1);
        check.fitsInt("expert count", e);
        if (e % gating.groups() != 0) {
            throw new ShapeException("moeGatingTopK: " + e + " experts do not split into " + gating.groups() + " groups");
        }
        if (gating.k() > e / gating.groups() * gating.keepGroups()) {
            throw new OutOfRangeException("moeGatingTopK: k = " + gating.k() + " exceeds the " + e / gating.groups()
                    * gating.keepGroups() + " experts of " + gating.keepGroups() + " kept groups");
        }
        if (bias != null) {
            check.input("bias", bias);
            check.dtype("bias", bias, DType.F32);
            check.shapeIs("bias", bias, e);
        }
        if (weights.dtype() != logits.dtype()) {
            throw new ShapeException("moeGatingTopK: weights " + weights + " must have the logits' dtype " + logits.dtype());
        }
        check.shapeIs("weights", weights, logits.dim(0), gating.k());
        check.shapeIs("indices", indices, logits.dim(0), gating.k());
        check.noOverlap("weights", weights, "logits", logits, false);
        check.noOverlap("indices", indices, "logits", logits, false);
        check.noOverlap("indices", indices, "weights", weights, false);
        implementation.moeGatingTopK(stream, logits, bias, gating, weights, indices);
    }

    @Override
    public void moeDispatch(Stream stream, Tensor x, Tensor expertIdx, int numExperts, Tensor sortedRows, Tensor rowOf,
                            Tensor counts) {
        KernelChecks check = new KernelChecks("moeDispatch", stream);
        check.input("x", x);
        check.input("expertIdx", expertIdx);
        check.rank("x", x, 2);
        check.rank("expertIdx", expertIdx, 2);
        check.dtype("expertIdx", expertIdx, DType.I32);
        check.output("sortedRows", sortedRows);
        check.output("rowOf", rowOf);
        check.output("counts", counts);
        check.dtype("rowOf", rowOf, DType.I32);
        check.dtype("counts", counts, DType.I32);
        if (numExperts < 1) {
            throw new OutOfRangeException("moeDispatch: numExperts = " + numExperts + " must be at least 1");
        }
        if (expertIdx.dim(0) != x.dim(0)) {
            throw new ShapeException("moeDispatch: expertIdx " + expertIdx + " needs one row per row of x " + x);
        }
        long n = x.dim(0) * expertIdx.dim(1);
        check.fitsInt("assignment count", n);
        check.shapeIs("sortedRows", sortedRows, n, x.dim(1));
        check.shapeIs("rowOf", rowOf, n);
        check.shapeIs("counts", counts, numExperts);
        if (sortedRows.dtype() != x.dtype()) {
            throw new ShapeException("moeDispatch: sortedRows " + sortedRows + " must have x's dtype " + x.dtype());
        }
        check.noOverlap("sortedRows", sortedRows, "x", x, false);
        implementation.moeDispatch(stream, x, expertIdx, numExperts, sortedRows, rowOf, counts);
    }

    @Override
    public void attention(Stream stream, Tensor q, Tensor k, Tensor qRope, Tensor kRope, Tensor v, float scale,
                          long causalOffset, Tensor out) {
        KernelChecks check = new KernelChecks("attention", stream);
        if ((qRope == null) != (kRope == null)) {
            throw new ShapeException("attention: qRope and kRope must both be given or both be null");
        }
        check.input("q", q);
        check.input("k", k);
        check.input("v", v);
        check.floating("q", q);
        check.floating("k", k);
        check.floating("v", v);
        floatingOutput(check, out);
        check.rank("q", q, 3);
        check.rank("k", k, 2, 3);
        check.rank("v", v, 2, 3);
        long h = q.dim(0);
        long n = q.dim(1);
        long len = k.dim(-2);
        check.shapeIs("k", k, k.rank() == 3 ? new long[] {h, len, q.dim(2)} : new long[] {len, q.dim(2)});
        check.shapeIs("v", v, v.rank() == 3 ? new long[] {h, len, v.dim(-1)} : new long[] {len, v.dim(-1)});
        if (qRope != null) {
            check.input("qRope", qRope);
            check.input("kRope", kRope);
            check.floating("qRope", qRope);
            check.floating("kRope", kRope);
            check.rank("qRope", qRope, 3);
            check.rank("kRope", kRope, 2, 3);
            check.shapeIs("qRope", qRope, h, n, qRope.dim(2));
            long dr = qRope.dim(2);
            check.shapeIs("kRope", kRope, kRope.rank() == 3 ? new long[] {h, len, dr} : new long[] {len, dr});
        }
        check.shapeIs("out", out, h, n, v.dim(-1));
        check.fitsInt("heads x queries x features", h * n * Math.max(v.dim(-1), q.dim(2)));
        check.fitsInt("keys x features", len * Math.max(v.dim(-1), q.dim(2)));
        if (!Float.isFinite(scale)) {
            throw new OutOfRangeException("attention: scale must be finite, got " + scale);
        }
        check.noOverlap("out", out, "q", q, false);
        check.noOverlap("out", out, "k", k, false);
        check.noOverlap("out", out, "v", v, false);
        if (qRope != null) {
            check.noOverlap("out", out, "qRope", qRope, false);
            check.noOverlap("out", out, "kRope", kRope, false);
        }
        implementation.attention(stream, q, k, qRope, kRope, v, scale, causalOffset, out);
    }

    @Override
    public void decodeAttention(Stream stream, Tensor q, Tensor qRope, List<Tensor> keys, List<Tensor> kRopes,
                                List<Tensor> values, float scale, Tensor out) {
        KernelChecks check = new KernelChecks("decodeAttention", stream);
        Objects.requireNonNull(keys, "decodeAttention: keys");
        Objects.requireNonNull(values, "decodeAttention: values");
        if ((qRope == null) != (kRopes == null)) {
            throw new ShapeException("decodeAttention: qRope and kRopes must both be given or both be null");
        }
        check.input("q", q);
        check.floating("q", q);
        check.rank("q", q, 3);
        floatingOutput(check, out);
        long h = q.dim(0);
        long batch = q.dim(1);
        long d = q.dim(2);
        long dv = out.dim(-1);
        check.shapeIs("out", out, h, batch, dv);
        if (keys.size() != batch || values.size() != batch || (kRopes != null && kRopes.size() != batch)) {
            throw new ShapeException("decodeAttention: q " + KernelChecks.shape(q) + " holds " + batch
                    + " sequences but there are " + keys.size() + " keys, " + values.size() + " values"
                    + (kRopes == null ? "" : " and " + kRopes.size() + " kRopes"));
        }
        long dr = 0;
        if (qRope != null) {
            check.input("qRope", qRope);
            check.floating("qRope", qRope);
            check.rank("qRope", qRope, 3);
            dr = qRope.dim(2);
            check.shapeIs("qRope", qRope, h, batch, dr);
            check.noOverlap("out", out, "qRope", qRope, false);
        }
        check.noOverlap("out", out, "q", q, false);
        check.fitsInt("heads x sequences x features", h * batch * Math.max(dv, d));
        for (int b = 0; b < batch; b++) {
            Tensor k = check.input("keys[" + b + "]", keys.get(b));
            Tensor v = check.input("values[" + b + "]", values.get(b));
            check.floating("keys[" + b + "]", k);
            check.floating("values[" + b + "]", v);
            check.rank("keys[" + b + "]", k, 2, 3);
            check.rank("values[" + b + "]", v, 2, 3);
            long len = k.dim(-2);
            check.shapeIs("keys[" + b + "]", k, k.rank() == 3 ? new long[] {h, len, d} : new long[] {len, d});
            check.shapeIs("values[" + b + "]", v, v.rank() == 3 ? new long[] {h, len, dv} : new long[] {len, dv});
            check.fitsInt("keys x features", len * Math.max(dv, d));
            check.noOverlap("out", out, "keys[" + b + "]", k, false);
            check.noOverlap("out", out, "values[" + b + "]", v, false);
            if (kRopes != null) {
                Tensor kr = check.input("kRopes[" + b + "]", kRopes.get(b));
                check.floating("kRopes[" + b + "]", kr);
                check.rank("kRopes[" + b + "]", kr, 2, 3);
                check.shapeIs("kRopes[" + b + "]", kr, kr.rank() == 3 ? new long[] {h, len, dr} : new long[] {len, dr});
                check.noOverlap("out", out, "kRopes[" + b + "]", kr, false);
            }
        }
        if (!Float.isFinite(scale)) {
            throw new OutOfRangeException("decodeAttention: scale must be finite, got " + scale);
        }
        implementation.decodeAttention(stream, q, qRope, List.copyOf(keys), kRopes == null ? null : List.copyOf(kRopes),
                List.copyOf(values), scale, out);
    }

    @Override
    public void copyEach(Stream stream, List<Tensor> sources, List<Tensor> outs) {
        KernelChecks check = new KernelChecks("copyEach", stream);
        Objects.requireNonNull(sources, "copyEach: sources");
        Objects.requireNonNull(outs, "copyEach: outs");
        if (sources.size() != outs.size()) {
            throw new ShapeException("copyEach: " + sources.size() + " sources but " + outs.size() + " outs");
        }
        for (int i = 0; i < sources.size(); i++) {
            Tensor source = check.input("sources[" + i + "]", sources.get(i));
            Tensor out = check.output("outs[" + i + "]", outs.get(i));
            check.sameShape("outs[" + i + "]", out, "sources[" + i + "]", source);
            if (out.dtype() != source.dtype()) {
                throw new ShapeException("copyEach: outs[" + i + "] " + out + " must have sources[" + i + "]'s dtype "
                        + source.dtype() + "; use cast to convert");
            }
            check.noOverlap("outs[" + i + "]", out, "sources[" + i + "]", source, true);
        }
        implementation.copyEach(stream, List.copyOf(sources), List.copyOf(outs));
    }

    @Override
    public void indexSelect(Stream stream, Tensor source, Tensor indices, Tensor out) {
        KernelChecks check = new KernelChecks("indexSelect", stream);
        check.input("source", source);
        check.input("indices", indices);
        check.output("out", out);
        check.index("indices", indices);
        check.rank("indices", indices, 1);
        check.minRank("source", source, 1);
        long[] expected = source.shape();
        expected[0] = indices.dim(0);
        check.shapeIs("out", out, expected);
        if (out.dtype() != source.dtype()) {
            throw new ShapeException("indexSelect: out " + out + " must have source's dtype " + source.dtype());
        }
        check.fitsInt("index count", indices.dim(0));
        check.noOverlap("out", out, "source", source, false);
        check.noOverlap("out", out, "indices", indices, false);
        implementation.indexSelect(stream, source, indices, out);
    }

    @Override
    public void indexAdd(Stream stream, Tensor target, Tensor indices, Tensor source, float alpha) {
        KernelChecks check = new KernelChecks("indexAdd", stream);
        check.input("target", target);
        check.input("indices", indices);
        check.input("source", source);
        check.floating("target", target);
        check.floating("source", source);
        check.index("indices", indices);
        check.rank("indices", indices, 1);
        check.minRank("target", target, 1);
        long[] expected = target.shape();
        expected[0] = indices.dim(0);
        check.shapeIs("source", source, expected);
        check.fitsInt("index count", indices.dim(0));
        check.noOverlap("target", target, "source", source, false);
        check.noOverlap("target", target, "indices", indices, false);
        implementation.indexAdd(stream, target, indices, source, alpha);
    }

    @Override
    public void cast(Stream stream, Tensor source, Tensor out) {
        KernelChecks check = new KernelChecks("cast", stream);
        check.input("source", source);
        check.output("out", out);
        DType from = source.dtype();
        DType to = out.dtype();
        boolean floating = from.isFloatingPoint() && to.isFloatingPoint();
        boolean index = from.isIndex() && to.isIndex();
        if (!floating && !index) {
            throw new ShapeException("cast: cannot convert source " + source + " to " + to
                    + "; supported are F32/BF16/F16 to F32/BF16/F16 and I32/I64 to I32/I64");
        }
        check.sameShape("out", out, "source", source);
        check.noOverlap("out", out, "source", source, true);
        implementation.cast(stream, source, out);
    }

    @Override
    public void copy(Stream stream, Tensor source, Tensor out) {
        KernelChecks check = new KernelChecks("copy", stream);
        check.input("source", source);
        check.output("out", out);
        check.sameShape("out", out, "source", source);
        if (out.dtype() != source.dtype()) {
            throw new ShapeException("copy: out " + out + " must have source's dtype " + source.dtype()
                    + "; use cast to convert");
        }
        check.noOverlap("out", out, "source", source, true);
        implementation.copy(stream, source, out);
    }

    @Override
    public void fill(Stream stream, Tensor out, double value) {
        KernelChecks check = new KernelChecks("fill", stream);
        check.output("out", out);
        if (!fits(out.dtype(), value)) {
            throw new OutOfRangeException("fill: value " + value + " cannot be stored in out " + out);
        }
        implementation.fill(stream, out, value);
    }

    /** Any number fits a float dtype (rounded); integer dtypes need a whole number in range (0 or 1 for BOOL). */
    private static boolean fits(DType dtype, double value) {
        if (dtype.isFloatingPoint()) {
            return true;
        }
        if (value != Math.rint(value) || Double.isInfinite(value)) {
            return false;
        }
        return switch (dtype) {
            case BOOL -> value == 0 || value == 1;
            case U8 -> value >= 0 && value <= 255;
            case I8 -> value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE;
            case I32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            case I64 -> value >= -0x1p63 && value < 0x1p63;
            default -> false;
        };
    }

    private static void floatingInputs(KernelChecks check, String aName, Tensor a, String bName, Tensor b) {
        check.input(aName, a);
        check.input(bName, b);
        check.floating(aName, a);
        check.floating(bName, b);
    }

    private static void floatingOutput(KernelChecks check, Tensor out) {
        check.output("out", out);
        check.floating("out", out);
    }
}
