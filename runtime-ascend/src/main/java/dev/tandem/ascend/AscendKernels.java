package dev.tandem.ascend;

import dev.tandem.ascend.internal.AclDataType;
import dev.tandem.ascend.internal.AclnnCall;
import dev.tandem.ascend.internal.AclnnStatus;
import dev.tandem.ascend.internal.CubeMathType;
import dev.tandem.ascend.internal.Nn;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.MoeGating;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * {@link Kernels} through aclnn's two-phase operators. Each call validates on the host, then, atomically on the
 * stream: phase 1 ({@code ...GetWorkspaceSize}) builds the executor, the stream's cached workspace (grown in
 * stream order when too small) is passed to phase 2, which enqueues, and the host-side aclTensor/aclScalar objects
 * are destroyed right after phase 2 returns.
 */
final class AscendKernels implements Kernels {

    private final AscendDevice device;

    AscendKernels(AscendDevice device) {
        this.device = device;
    }

    void close() {
        // Workspaces are cached per stream and released with the stream.
    }

    /** The aclnn objects of one call ({@link AclnnCall}), made from Tandem tensors on a stream. */
    static final class Call implements AutoCloseable {
        private final AclnnCall call = new AclnnCall();

        MemorySegment tensor(Tensor t, AscendStream s) {
            AscendBuffer b = s.buffer(t.buffer());
            b.markUsed(s);
            return call.tensor(t.shape(), t.strides(), t.offset(), aclType(t.dtype()),
                    b.byteSize() / t.dtype().byteSize(), b.pointer(0));
        }

        /** A one-tensor aclTensorList (aclDestroyTensorList destroys the tensor too). */
        MemorySegment list(Tensor t, AscendStream s) {
            AscendBuffer b = s.buffer(t.buffer());
            b.markUsed(s);
            return call.list(t.shape(), t.strides(), t.offset(), aclType(t.dtype()),
                    b.byteSize() / t.dtype().byteSize(), b.pointer(0));
        }

        MemorySegment scalar(double value, DType like) {
            return call.scalar(value, like.isFloatingPoint());
        }

        MemorySegment intArray(long... values) {
            return call.intArray(values);
        }

        @Override
        public void close() {
            call.close();
        }
    }

    static int aclType(DType t) {
        return AclDataType.of(t).code();
    }

    /** Runs phase 1 and 2 of one operator on the stream; {@code build} creates the aclnn objects. */
    void run(AscendStream s, String op, java.util.function.Function<Call, AclnnCall.Phase1> build, AclnnCall.Phase2 phase2) {
        s.enqueue(op, -1, () -> {
            try (Call o = new Call()) {
                AclnnCall.Phase1 phase1 = build.apply(o);
                o.call.execute(phase1, phase2, bytes -> s.workspace(bytes).pointer(0), s.handle());
            }
        });
    }

    // ---- validation: every message names the operation and the argument ----

    /** Checks the stream and the named tensors ({@code "a", a, "b", b, ...}) belong to this device. */
    AscendStream check(String op, Stream stream, Object... namedTensors) {
        Objects.requireNonNull(stream, "stream");
        for (int i = 0; i < namedTensors.length; i += 2) {
            Objects.requireNonNull(namedTensors[i + 1], op + ": " + namedTensors[i]);
        }
        if (!(stream instanceof AscendStream as) || as.device() != device) {
            throw new WrongDeviceException(op + ": stream " + stream + " is not a stream of device " + device.id());
        }
        as.ensureUsable();
        for (int i = 0; i < namedTensors.length; i += 2) {
            Tensor t = (Tensor) namedTensors[i + 1];
            if (t.device() != device) {
                throw new WrongDeviceException(op + ": " + namedTensors[i] + " " + t + " is on device " + t.device().id()
                        + ", not device " + device.id());
            }
            if (t.buffer().isClosed()) {
                throw new IllegalStateException(op + ": " + namedTensors[i] + " " + t + " uses a closed (freed) buffer");
            }
        }
        return as;
    }

    static void floating(String op, String name, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new ShapeException(op + ": " + name + " must be F32, BF16 or F16, got " + t);
        }
    }

    static void contiguous(String op, String name, Tensor t) {
        if (!t.isContiguous()) {
            throw new ShapeException(op + ": " + name + " must be contiguous, got " + t);
        }
    }

    static void sameShape(String op, String name, Tensor t, String refName, Tensor ref) {
        if (!t.sameShape(ref)) {
            throw new ShapeException(op + ": " + name + " " + Arrays.toString(t.shape()) + " must have the shape of "
                    + refName + " " + Arrays.toString(ref.shape()));
        }
    }

    private static void suffix(String op, Tensor a, Tensor b) {
        long[] as = a.shape();
        long[] bs = b.shape();
        if (bs.length > as.length || !Arrays.equals(bs, Arrays.copyOfRange(as, as.length - bs.length, as.length))) {
            throw new ShapeException(op + ": b " + Arrays.toString(bs) + " must have the shape of a "
                    + Arrays.toString(as) + " or a suffix of it");
        }
    }

    static boolean overlaps(Tensor a, Tensor b) {
        return a.buffer() == b.buffer();
    }

    // ---- operators ----

    @Override
    public void matmul(Stream stream, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        AscendStream s = check("matmul", stream, "a", a, "b", b, "out", out);
        floating("matmul", "a", a);
        floating("matmul", "b", b);
        floating("matmul", "out", out);
        contiguous("matmul", "out", out);
        Tensor x = transposeA ? a.transpose(-1, -2) : a;
        Tensor y = transposeB ? b.transpose(-1, -2) : b;
        if (x.rank() < 2 || x.rank() > 3 || y.rank() < 2 || y.rank() > x.rank()) {
            throw new ShapeException("matmul: needs a [m,k] x b [k,n] or a [b,m,k] x b ([b,k,n] or [k,n]), got "
                    + x + " x " + y);
        }
        long m = x.dim(-2);
        long k = x.dim(-1);
        long n = y.dim(-1);
        if (y.dim(-2) != k) {
            throw new ShapeException("matmul: inner dimensions differ (k = " + k + " vs " + y.dim(-2) + "): "
                    + Arrays.toString(x.shape()) + " x " + Arrays.toString(y.shape()));
        }
        if (y.rank() == 3 && y.dim(0) != x.dim(0)) {
            throw new ShapeException("matmul: batch sizes differ: " + x.dim(0) + " vs " + y.dim(0));
        }
        long[] expected = x.rank() == 3 ? new long[]{x.dim(0), m, n} : new long[]{m, n};
        if (!Arrays.equals(out.shape(), expected)) {
            throw new ShapeException("matmul: out must be " + Arrays.toString(expected) + ", got " + out);
        }
        if (overlaps(out, a) || overlaps(out, b)) {
            throw new ShapeException("matmul: out must not alias an input");
        }
        if (out.numel() == 0) {
            return;
        }
        if (k == 0) {
            fill(stream, out, 0.0);
            return;
        }
        DType promoted = promote(a.dtype(), b.dtype());
        if (out.dtype() != promoted && !(promoted == DType.F16 && out.dtype() == DType.F32)) {
            // aclnnMatmul writes only the promoted type (or FLOAT for FLOAT16): compute in it, then cast.
            Tensor wide = Tensor.allocate(device, s, promoted, out.shape());
            try {
                matmul(stream, a, transposeA, b, transposeB, wide);
                cast(stream, wide, out);
            } finally {
                wide.buffer().close();
            }
            return;
        }
        run(s, "matmul",
                o -> {
                    MemorySegment tx = o.tensor(x, s);
                    MemorySegment ty = o.tensor(y, s);
                    MemorySegment to = o.tensor(out, s);
                    return (ws, ex) -> Nn.aclnnMatmulGetWorkspaceSize(tx, ty, to, CubeMathType.KEEP_DTYPE, ws, ex);
                },
                Nn::aclnnMatmul);
    }

    /** {@code t} itself when it has {@code dtype}, else a new copy cast to it; {@link #release} frees that copy. */
    Tensor castTo(AscendStream s, Tensor t, DType dtype) {
        if (t.dtype() == dtype) {
            return t;
        }
        Tensor copy = Tensor.allocate(device, s, dtype, t.shape());
        cast(s, t, copy);
        return copy;
    }

    /** A scratch tensor on this device, ordered on {@code s}. */
    Tensor scratch(AscendStream s, DType dtype, long... shape) {
        return Tensor.allocate(device, s, dtype, shape);
    }

    /** Frees {@code maybeCopy} if it is not {@code original} (stream-ordered). */
    static void release(Tensor maybeCopy, Tensor original) {
        if (maybeCopy != original) {
            maybeCopy.buffer().close();
        }
    }

    /** aclnn's promotion of two floating types: equal types stay, any other pair computes in F32. */
    static DType promote(DType a, DType b) {
        return a == b ? a : DType.F32;
    }

    private void binary(Stream stream, String op, Tensor a, Tensor b, Tensor out, Float alpha, boolean multiply) {
        AscendStream s = check(op, stream, "a", a, "b", b, "out", out);
        floating(op, "a", a);
        floating(op, "b", b);
        floating(op, "out", out);
        contiguous(op, "out", out);
        suffix(op, a, b);
        sameShape(op, "out", out, "a", a);
        if (out.numel() == 0) {
            return;
        }
        if (multiply) {
            run(s, op, o -> {
                MemorySegment ta = o.tensor(a, s);
                MemorySegment tb = o.tensor(b, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Nn.aclnnMulGetWorkspaceSize(ta, tb, to, ws, ex);
            }, Nn::aclnnMul);
        } else {
            run(s, op, o -> {
                MemorySegment ta = o.tensor(a, s);
                MemorySegment tb = o.tensor(b, s);
                MemorySegment to = o.tensor(out, s);
                MemorySegment al = o.scalar(alpha, DType.F32);
                return (ws, ex) -> Nn.aclnnAddGetWorkspaceSize(ta, tb, al, to, ws, ex);
            }, Nn::aclnnAdd);
        }
    }

    @Override
    public void add(Stream stream, Tensor a, Tensor b, Tensor out) {
        binary(stream, "add", a, b, out, 1.0f, false);
    }

    @Override
    public void mul(Stream stream, Tensor a, Tensor b, Tensor out) {
        binary(stream, "mul", a, b, out, null, true);
    }

    @Override
    public void addScaled(Stream stream, Tensor a, Tensor b, float alpha, Tensor out) {
        binary(stream, "addScaled", a, b, out, alpha, false);
    }

    @Override
    public void scale(Stream stream, Tensor a, float alpha, Tensor out) {
        AscendStream s = check("scale", stream, "a", a, "out", out);
        floating("scale", "a", a);
        floating("scale", "out", out);
        contiguous("scale", "out", out);
        sameShape("scale", "out", out, "a", a);
        if (out.numel() == 0) {
            return;
        }
        run(s, "scale", o -> {
            MemorySegment ta = o.tensor(a, s);
            MemorySegment to = o.tensor(out, s);
            MemorySegment al = o.scalar(alpha, DType.F32);
            return (ws, ex) -> Nn.aclnnMulsGetWorkspaceSize(ta, al, to, ws, ex);
        }, Nn::aclnnMuls);
    }

    @Override
    public void rmsNorm(Stream stream, Tensor x, Tensor weight, float eps, Tensor out) {
        AscendStream s = check("rmsNorm", stream, "x", x, "weight", weight, "out", out);
        floating("rmsNorm", "x", x);
        floating("rmsNorm", "weight", weight);
        floating("rmsNorm", "out", out);
        contiguous("rmsNorm", "out", out);
        if (x.rank() < 1 || weight.rank() != 1 || weight.dim(0) != x.dim(-1)) {
            throw new ShapeException("rmsNorm: weight must be [" + (x.rank() < 1 ? "?" : x.dim(-1)) + "], got "
                    + Arrays.toString(weight.shape()));
        }
        sameShape("rmsNorm", "out", out, "x", x);
        if (out.numel() == 0) {
            return;
        }
        // rstd has x's rank with the normalised (last) dimension set to 1, as aclnnRmsNorm requires.
        long[] rstdShape = x.shape();
        rstdShape[rstdShape.length - 1] = 1;
        Tensor rstd = Tensor.allocate(device, s, DType.F32, rstdShape);
        try {
            run(s, "rmsNorm", o -> {
                MemorySegment tx = o.tensor(x, s);
                MemorySegment tw = o.tensor(weight, s);
                MemorySegment to = o.tensor(out, s);
                MemorySegment tr = o.tensor(rstd, s);
                return (ws, ex) -> Nn.aclnnRmsNormGetWorkspaceSize(tx, tw, eps, to, tr, ws, ex);
            }, Nn::aclnnRmsNorm);
        } finally {
            rstd.buffer().close();
        }
    }

    /** Element-wise one-input operators: silu, sigmoid, cos, sin. */
    private void unary(AscendStream s, String op, String fn, Tensor x, Tensor out) {
        run(s, op, o -> {
            MemorySegment tx = o.tensor(x, s);
            MemorySegment to = o.tensor(out, s);
            return switch (fn) {
                case "aclnnSigmoid" -> (ws, ex) -> Nn.aclnnSigmoidGetWorkspaceSize(tx, to, ws, ex);
                case "aclnnCos" -> (ws, ex) -> Nn.aclnnCosGetWorkspaceSize(tx, to, ws, ex);
                case "aclnnSin" -> (ws, ex) -> Nn.aclnnSinGetWorkspaceSize(tx, to, ws, ex);
                default -> (ws, ex) -> Nn.aclnnSiluGetWorkspaceSize(tx, to, ws, ex);
            };
        }, switch (fn) {
            case "aclnnSigmoid" -> Nn::aclnnSigmoid;
            case "aclnnCos" -> Nn::aclnnCos;
            case "aclnnSin" -> Nn::aclnnSin;
            default -> Nn::aclnnSilu;
        });
    }

    private void activation(Stream stream, String op, String fn, Tensor x, Tensor out) {
        AscendStream s = check(op, stream, "x", x, "out", out);
        floating(op, "x", x);
        floating(op, "out", out);
        contiguous(op, "out", out);
        sameShape(op, "out", out, "x", x);
        if (out.numel() == 0) {
            return;
        }
        if (fn.equals("aclnnSilu") && x.dtype() != out.dtype()) {
            // aclnnSilu takes one dtype for self and out: compute in x's, then cast.
            Tensor same = Tensor.allocate(device, s, x.dtype(), x.shape());
            try {
                unary(s, op, fn, x, same);
                cast(stream, same, out);
            } finally {
                same.buffer().close();
            }
            return;
        }
        unary(s, op, fn, x, out);
    }

    @Override
    public void silu(Stream stream, Tensor x, Tensor out) {
        activation(stream, "silu", "aclnnSilu", x, out);
    }

    @Override
    public void sigmoid(Stream stream, Tensor x, Tensor out) {
        activation(stream, "sigmoid", "aclnnSigmoid", x, out);
    }

    /** One {@code aclnnSwiGlu}: the first half of {@code x} along {@code dim} gates the second. */
    @Override
    public void swiglu(Stream stream, Tensor x, int dim, Tensor out) {
        AscendStream s = check("swiglu", stream, "x", x, "out", out);
        floating("swiglu", "x", x);
        if (out.dtype() != x.dtype()) {
            throw new ShapeException("swiglu: out " + out + " must be " + x.dtype() + " like x");
        }
        contiguous("swiglu", "out", out);
        if (x.rank() < 1) {
            throw new ShapeException("swiglu: x " + Arrays.toString(x.shape()) + " must have rank at least 1");
        }
        if (dim < -x.rank() || dim >= x.rank()) {
            throw new OutOfRangeException("swiglu: dim " + dim + " is out of range for x " + Arrays.toString(x.shape())
                    + " (rank " + x.rank() + ")");
        }
        int axis = dim < 0 ? dim + x.rank() : dim;
        long n = x.dim(axis);
        if (n % 2 != 0) {
            throw new ShapeException("swiglu: x " + Arrays.toString(x.shape()) + " has an odd size (" + n
                    + ") along dim " + dim + "; it must split into two equal halves");
        }
        long[] expected = x.shape();
        expected[axis] = n / 2;
        if (!Arrays.equals(out.shape(), expected)) {
            throw new ShapeException("swiglu: out " + Arrays.toString(out.shape()) + " must be "
                    + Arrays.toString(expected));
        }
        if (bytesOverlap(out, x)) {
            throw new ShapeException("swiglu: out " + out + " overlaps x " + x);
        }
        if (out.numel() == 0) {
            return; // aclnnSwiGlu rejects empty tensors; there is nothing to compute
        }
        // aclnnSwiGlu takes contiguous tensors only.
        Tensor source = x.isContiguous() ? x : Tensor.allocate(device, s, x.dtype(), x.shape());
        try {
            if (source != x) {
                copy(s, x, source);
            }
            run(s, "swiglu", o -> {
                MemorySegment tx = o.tensor(source, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Nn.aclnnSwiGluGetWorkspaceSize(tx, axis, to, ws, ex);
            }, Nn::aclnnSwiGlu);
        } finally {
            if (source != x) {
                source.buffer().close();
            }
        }
    }

    /** Whether the byte ranges {@code a} and {@code b} span in one buffer intersect. */
    private static boolean bytesOverlap(Tensor a, Tensor b) {
        if (a.buffer() != b.buffer() || a.numel() == 0 || b.numel() == 0) {
            return false;
        }
        long[] ea = extent(a);
        long[] eb = extent(b);
        return ea[0] < eb[1] && eb[0] < ea[1];
    }

    private static long[] extent(Tensor t) {
        long last = t.offset();
        long[] shape = t.shape();
        long[] strides = t.strides();
        for (int d = 0; d < shape.length; d++) {
            last += (shape[d] - 1) * strides[d];
        }
        long size = t.dtype().byteSize();
        return new long[] {t.offset() * size, (last + 1) * size};
    }

    @Override
    public void swiglu(Stream stream, Tensor gate, Tensor up, Tensor out) {
        AscendStream s = check("swiglu", stream, "gate", gate, "up", up, "out", out);
        floating("swiglu", "gate", gate);
        floating("swiglu", "up", up);
        floating("swiglu", "out", out);
        contiguous("swiglu", "out", out);
        sameShape("swiglu", "up", up, "gate", gate);
        sameShape("swiglu", "out", out, "gate", gate);
        if (out.numel() == 0) {
            return;
        }
        if (!overlaps(out, up) && gate.dtype() == out.dtype()) {
            // out = silu(gate); out *= up (aclnnSilu needs one dtype for self and out)
            unary(s, "swiglu", "aclnnSilu", gate, out);
            run(s, "swiglu", o -> {
                MemorySegment to = o.tensor(out, s);
                MemorySegment tu = o.tensor(up, s);
                return (ws, ex) -> Nn.aclnnInplaceMulGetWorkspaceSize(to, tu, ws, ex);
            }, Nn::aclnnInplaceMul);
            return;
        }
        Tensor tmp = Tensor.allocate(device, s, gate.dtype(), out.shape());
        try {
            unary(s, "swiglu", "aclnnSilu", gate, tmp);
            run(s, "swiglu", o -> {
                MemorySegment ta = o.tensor(tmp, s);
                MemorySegment tu = o.tensor(up, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Nn.aclnnMulGetWorkspaceSize(ta, tu, to, ws, ex);
            }, Nn::aclnnMul);
        } finally {
            tmp.buffer().close();
        }
    }

    /**
     * Softmax over the last axis. The causal form copies x, fills masked columns with -inf
     * ({@code aclnnInplaceMaskedFillScalar} with a boolean [q, k] mask built on the host, which depends only on
     * the shape and the offset), then takes the softmax: exp(-inf) is exactly 0 and column 0 is never masked.
     */
    @Override
    public void softmax(Stream stream, Tensor x, Tensor out, long causalOffset) {
        AscendStream s = check("softmax", stream, "x", x, "out", out);
        floating("softmax", "x", x);
        floating("softmax", "out", out);
        contiguous("softmax", "out", out);
        sameShape("softmax", "out", out, "x", x);
        if (x.rank() < 1 || (causalOffset >= 0 && x.rank() < 2)) {
            throw new ShapeException("softmax: x needs rank >= " + (causalOffset >= 0 ? 2 : 1) + ", got " + x);
        }
        if (out.numel() == 0) {
            return;
        }
        if (causalOffset < 0) {
            run(s, "softmax", o -> {
                MemorySegment tx = o.tensor(x, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Nn.aclnnSoftmaxGetWorkspaceSize(tx, -1L, to, ws, ex);
            }, Nn::aclnnSoftmax);
            return;
        }
        long q = x.dim(-2);
        long k = x.dim(-1);
        byte[] mask = new byte[Math.toIntExact(q * k)];
        boolean any = false;
        for (long i = 0; i < q; i++) {
            for (long j = 0; j < k; j++) {
                if (j > i + causalOffset) {
                    mask[(int) (i * k + j)] = 1;
                    any = true;
                }
            }
        }
        Tensor masked = Tensor.allocate(device, s, DType.F32, x.shape());
        Tensor maskTensor = Tensor.allocate(device, s, DType.BOOL, q, k);
        try {
            s.copyFromHost(MemorySegment.ofArray(mask), maskTensor.buffer(), 0);
            run(s, "softmax", o -> {
                MemorySegment tm = o.tensor(masked, s);
                MemorySegment tx = o.tensor(x, s);
                return (ws, ex) -> Nn.aclnnInplaceCopyGetWorkspaceSize(tm, tx, ws, ex);
            }, Nn::aclnnInplaceCopy);
            if (any) {
                run(s, "softmax", o -> {
                    MemorySegment tm = o.tensor(masked, s);
                    MemorySegment mk = o.tensor(maskTensor, s);
                    MemorySegment v = o.scalar(Double.NEGATIVE_INFINITY, DType.F32);
                    return (ws, ex) -> Nn.aclnnInplaceMaskedFillScalarGetWorkspaceSize(tm, mk, v, ws, ex);
                }, Nn::aclnnInplaceMaskedFillScalar);
            }
            run(s, "softmax", o -> {
                MemorySegment tm = o.tensor(masked, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Nn.aclnnSoftmaxGetWorkspaceSize(tm, -1L, to, ws, ex);
            }, Nn::aclnnSoftmax);
        } finally {
            masked.buffer().close();
            maskTensor.buffer().close();
        }
    }

    /**
     * Rotary embedding of interleaved pairs: angles = float(positions) x frequencies (aclnnCast, aclnnMul),
     * cos/sin of them (aclnnCos, aclnnSin) repeated per pair (aclnnInplaceCopy with broadcasting), then
     * aclnnRotaryPositionEmbedding in interleave mode (1) on 4-D BSND views.
     */
    @Override
    public void rope(Stream stream, Tensor x, Tensor positions, Tensor frequencies, Tensor out) {
        AscendStream s = check("rope", stream, "x", x, "positions", positions, "frequencies", frequencies, "out", out);
        floating("rope", "x", x);
        floating("rope", "out", out);
        contiguous("rope", "out", out);
        if (x.rank() != 2 && x.rank() != 3) {
            throw new ShapeException("rope: x must be [t, d] or [t, h, d], got " + x);
        }
        long t = x.dim(0);
        long d = x.dim(-1);
        long heads = x.rank() == 3 ? x.dim(1) : 1;
        if (d % 2 != 0) {
            throw new ShapeException("rope: the last axis of x must be even, got " + x);
        }
        if (!positions.dtype().isIndex() || positions.rank() != 1 || positions.dim(0) != t) {
            throw new ShapeException("rope: positions must be I32/I64 [" + t + "], got " + positions);
        }
        if (frequencies.dtype() != DType.F32 || frequencies.rank() != 1 || frequencies.dim(0) != d / 2) {
            throw new ShapeException("rope: frequencies must be F32 [" + d / 2 + "], got "
                    + Arrays.toString(frequencies.shape()) + " " + frequencies.dtype());
        }
        sameShape("rope", "out", out, "x", x);
        if (x.numel() == 0) {
            return;
        }
        long half = d / 2;
        Tensor pos = Tensor.allocate(device, s, DType.F32, t, 1);
        Tensor angles = Tensor.allocate(device, s, DType.F32, t, half);
        Tensor cosHalf = Tensor.allocate(device, s, DType.F32, t, half, 1);
        Tensor sinHalf = Tensor.allocate(device, s, DType.F32, t, half, 1);
        // aclnnRotaryPositionEmbedding takes cos/sin in x's dtype; the copies below convert from F32.
        Tensor cos = Tensor.allocate(device, s, x.dtype(), t, half, 2);
        Tensor sin = Tensor.allocate(device, s, x.dtype(), t, half, 2);
        try {
            Tensor posView = positions.view(t, 1);
            run(s, "rope", o -> {
                MemorySegment tp = o.tensor(posView, s);
                MemorySegment tf = o.tensor(pos, s);
                int type = aclType(DType.F32);
                return (ws, ex) -> Nn.aclnnCastGetWorkspaceSize(tp, type, tf, ws, ex);
            }, Nn::aclnnCast);
            run(s, "rope", o -> {
                MemorySegment tp = o.tensor(pos, s);
                MemorySegment tq = o.tensor(frequencies, s);
                MemorySegment ta = o.tensor(angles, s);
                return (ws, ex) -> Nn.aclnnMulGetWorkspaceSize(tp, tq, ta, ws, ex);
            }, Nn::aclnnMul);
            Tensor angles3 = angles.view(t, half, 1);
            unary(s, "rope", "aclnnCos", angles3, cosHalf);
            unary(s, "rope", "aclnnSin", angles3, sinHalf);
            for (Tensor[] pair : new Tensor[][]{{cos, cosHalf}, {sin, sinHalf}}) {
                run(s, "rope", o -> {
                    MemorySegment dst = o.tensor(pair[0], s);
                    MemorySegment src = o.tensor(pair[1], s);
                    return (ws, ex) -> Nn.aclnnInplaceCopyGetWorkspaceSize(dst, src, ws, ex);
                }, Nn::aclnnInplaceCopy);
            }
            Tensor x4 = Tensor.strided(x.buffer(), x.dtype(), x.offset(), new long[]{1, t, heads, d},
                    new long[]{x.numel(), x.stride(0), x.rank() == 3 ? x.stride(1) : d, x.stride(-1)});
            Tensor out4 = out.view(1, t, heads, d);
            Tensor cos4 = cos.view(1, t, 1, d);
            Tensor sin4 = sin.view(1, t, 1, d);
            run(s, "rope", o -> {
                MemorySegment tx = o.tensor(x4, s);
                MemorySegment tc = o.tensor(cos4, s);
                MemorySegment ts = o.tensor(sin4, s);
                MemorySegment to = o.tensor(out4, s);
                return (ws, ex) -> Nn.aclnnRotaryPositionEmbeddingGetWorkspaceSize(tx, tc, ts, 1L, to, ws, ex);
            }, Nn::aclnnRotaryPositionEmbedding);
        } finally {
            for (Tensor tmp : new Tensor[]{pos, angles, cosHalf, sinHalf, cos, sin}) {
                tmp.buffer().close();
            }
        }
    }

    @Override
    public void topk(Stream stream, Tensor x, int k, Tensor values, Tensor indices) {
        AscendStream s = check("topk", stream, "x", x, "values", values, "indices", indices);
        floating("topk", "x", x);
        floating("topk", "values", values);
        contiguous("topk", "values", values);
        contiguous("topk", "indices", indices);
        if (!indices.dtype().isIndex()) {
            throw new ShapeException("topk: indices must be I32 or I64, got " + indices);
        }
        if (x.rank() != 2) {
            throw new ShapeException("topk: x must have rank 2, got " + x);
        }
        if (k < 0 || k > x.dim(1)) {
            throw new OutOfRangeException("topk: k = " + k + " is out of range for rows of " + x.dim(1));
        }
        long[] expected = {x.dim(0), k};
        if (!Arrays.equals(values.shape(), expected)) {
            throw new ShapeException("topk: values must be " + Arrays.toString(expected) + ", got " + values);
        }
        if (!Arrays.equals(indices.shape(), expected)) {
            throw new ShapeException("topk: indices must be " + Arrays.toString(expected) + ", got " + indices);
        }
        if (values.numel() == 0) {
            return;
        }
        // aclnnTopk writes INT64 indices only; I32 indices go through an I64 scratch and aclnnCast.
        Tensor i64 = indices.dtype() == DType.I64 ? indices : Tensor.allocate(device, s, DType.I64, expected);
        try {
            run(s, "topk", o -> {
                MemorySegment tx = o.tensor(x, s);
                MemorySegment tv = o.tensor(values, s);
                MemorySegment ti = o.tensor(i64, s);
                return (ws, ex) -> Nn.aclnnTopkGetWorkspaceSize(tx, k, -1L, true, true, tv, ti, ws, ex);
            }, Nn::aclnnTopk);
            if (i64 != indices) {
                run(s, "topk", o -> {
                    MemorySegment src = o.tensor(i64, s);
                    MemorySegment dst = o.tensor(indices, s);
                    int type = aclType(indices.dtype());
                    return (ws, ex) -> Nn.aclnnCastGetWorkspaceSize(src, type, dst, ws, ex);
                }, Nn::aclnnCast);
            }
        } finally {
            if (i64 != indices) {
                i64.buffer().close();
            }
        }
    }

    /**
     * {@code aclnnMoeGatingTopK}: normType 1 (sigmoid) or 0 (softmax), groupSelectMode 1 (top-two sum) or 0 (max),
     * renorm 0. The kernel always renormalises sigmoid weights and never softmax weights (renorm supports only 0), so
     * the other two combinations throw {@link FeatureNotSupportedException} before enqueueing.
     */
    @Override
    public void moeGatingTopK(Stream stream, Tensor logits, Tensor bias, MoeGating gating, Tensor weights, Tensor indices) {
        String op = "moeGatingTopK";
        Objects.requireNonNull(gating, op + ": gating");
        AscendStream s = bias == null
                ? check(op, stream, "logits", logits, "weights", weights, "indices", indices)
                : check(op, stream, "logits", logits, "bias", bias, "weights", weights, "indices", indices);
        floating(op, "logits", logits);
        contiguous(op, "weights", weights);
        contiguous(op, "indices", indices);
        if (logits.rank() != 2) {
            throw new ShapeException(op + ": logits must be [tokens, experts], got " + logits);
        }
        long tokens = logits.dim(0);
        long e = logits.dim(1);
        if (e % gating.groups() != 0) {
            throw new ShapeException(op + ": " + e + " experts do not split into " + gating.groups() + " groups");
        }
        if (gating.k() > e / gating.groups() * gating.keepGroups()) {
            throw new OutOfRangeException(op + ": k = " + gating.k() + " exceeds the " + e / gating.groups()
                    * gating.keepGroups() + " experts of " + gating.keepGroups() + " kept groups");
        }
        if (bias != null && (bias.dtype() != DType.F32 || bias.rank() != 1 || bias.dim(0) != e)) {
            throw new ShapeException(op + ": bias must be F32 [" + e + "], got " + bias);
        }
        if (weights.dtype() != logits.dtype() || !Arrays.equals(weights.shape(), new long[]{tokens, gating.k()})) {
            throw new ShapeException(op + ": weights must be " + logits.dtype() + " [" + tokens + ", " + gating.k()
                    + "], got " + weights);
        }
        if (indices.dtype() != DType.I32 || !Arrays.equals(indices.shape(), new long[]{tokens, gating.k()})) {
            throw new ShapeException(op + ": indices must be I32 [" + tokens + ", " + gating.k() + "], got " + indices);
        }
        boolean sigmoid = gating.norm() == MoeGating.Norm.SIGMOID;
        if (sigmoid != gating.renormalize()) {
            throw new FeatureNotSupportedException("aclnnMoeGatingTopK", AclnnStatus.INNER_TILING_ERROR.code(),
                    AclnnStatus.INNER_TILING_ERROR.cName(), op + ": " + gating.norm() + " gates with renormalize = "
                    + gating.renormalize() + " are not offered by aclnnMoeGatingTopK (sigmoid weights are always"
                    + " renormalised, softmax weights never)");
        }
        if (e > 2048) {
            throw new FeatureNotSupportedException("aclnnMoeGatingTopK", AclnnStatus.INNER_TILING_ERROR.code(),
                    AclnnStatus.INNER_TILING_ERROR.cName(), op + ": aclnnMoeGatingTopK takes at most 2048 experts, got " + e);
        }
        if (tokens == 0) {
            return;
        }
        // outOut (the normalised scores) is required by the prototype; outFlag = false leaves it unwritten.
        Tensor norm = Tensor.allocate(device, s, DType.F32, tokens, e);
        try {
            run(s, op, o -> {
                MemorySegment tx = o.tensor(logits, s);
                MemorySegment tb = bias == null ? MemorySegment.NULL : o.tensor(bias, s);
                MemorySegment ty = o.tensor(weights, s);
                MemorySegment ti = o.tensor(indices, s);
                MemorySegment tn = o.tensor(norm, s);
                long groupMode = gating.groupScore() == MoeGating.GroupScore.SUM_OF_TOP_TWO ? 1 : 0;
                return (ws, ex) -> Nn.aclnnMoeGatingTopKGetWorkspaceSize(tx, tb, gating.k(), gating.keepGroups(),
                        gating.groups(), groupMode, 0, sigmoid ? 1 : 0, false, gating.scaling(), 1e-20, ty, ti, tn, ws, ex);
            }, Nn::aclnnMoeGatingTopK);
        } finally {
            norm.buffer().close();
        }
    }

    /**
     * {@code aclnnMoeInitRoutingV3} (dropless, row-index type 0, per-expert counts; see
     * {@link AscendMoeKernels#initRouting}), then {@code aclnnCast} of the INT64 counts to I32.
     */
    @Override
    public void moeDispatch(Stream stream, Tensor x, Tensor expertIdx, int numExperts, Tensor sortedRows, Tensor rowOf,
                            Tensor counts) {
        AscendStream s = check("moeDispatch", stream, "x", x, "expertIdx", expertIdx, "sortedRows", sortedRows,
                "rowOf", rowOf, "counts", counts);
        contiguous("moeDispatch", "counts", counts);
        if (counts.dtype() != DType.I32 || !Arrays.equals(counts.shape(), new long[]{numExperts})) {
            throw new ShapeException("moeDispatch: counts must be I32 [" + numExperts + "], got " + counts);
        }
        Tensor wide = Tensor.allocate(device, s, DType.I64, Math.max(1, numExperts));
        try {
            new AscendMoeKernels(this).initRouting(s, x, expertIdx, numExperts, sortedRows, rowOf, wide, false);
            cast(s, wide, counts);
        } finally {
            wide.buffer().close();
        }
    }

    @Override
    public void indexSelect(Stream stream, Tensor source, Tensor indices, Tensor out) {
        AscendStream s = check("indexSelect", stream, "source", source, "indices", indices, "out", out);
        contiguous("indexSelect", "out", out);
        if (!indices.dtype().isIndex() || indices.rank() != 1) {
            throw new ShapeException("indexSelect: indices must be a 1-D I32/I64 tensor, got " + indices);
        }
        if (source.rank() < 1) {
            throw new ShapeException("indexSelect: source must have rank >= 1, got " + source);
        }
        long[] expected = source.shape();
        expected[0] = indices.dim(0);
        if (!Arrays.equals(out.shape(), expected) || source.dtype() != out.dtype()) {
            throw new ShapeException("indexSelect: out must be " + source.dtype() + " " + Arrays.toString(expected)
                    + ", got " + out);
        }
        if (out.numel() == 0) {
            return;
        }
        run(s, "indexSelect", o -> {
            MemorySegment ts = o.tensor(source, s);
            MemorySegment ti = o.tensor(indices, s);
            MemorySegment to = o.tensor(out, s);
            return (ws, ex) -> Nn.aclnnIndexSelectGetWorkspaceSize(ts, 0L, ti, to, ws, ex);
        }, Nn::aclnnIndexSelect);
    }

    @Override
    public void indexAdd(Stream stream, Tensor target, Tensor indices, Tensor source, float alpha) {
        AscendStream s = check("indexAdd", stream, "target", target, "indices", indices, "source", source);
        floating("indexAdd", "target", target);
        floating("indexAdd", "source", source);
        contiguous("indexAdd", "target", target);
        if (!indices.dtype().isIndex() || indices.rank() != 1) {
            throw new ShapeException("indexAdd: indices must be a 1-D I32/I64 tensor, got " + indices);
        }
        if (target.rank() < 1) {
            throw new ShapeException("indexAdd: target must have rank >= 1, got " + target);
        }
        long[] expected = target.shape();
        expected[0] = indices.dim(0);
        if (!Arrays.equals(source.shape(), expected)) {
            throw new ShapeException("indexAdd: source must be " + Arrays.toString(expected) + ", got " + source);
        }
        if (source.numel() == 0) {
            return;
        }
        // aclnnIndexAdd takes source in self's dtype.
        Tensor same = castTo(s, source, target.dtype());
        try {
            indexAddSameType(s, target, indices, same, alpha);
        } finally {
            release(same, source);
        }
    }

    private void indexAddSameType(AscendStream s, Tensor target, Tensor indices, Tensor source, float alpha) {
        run(s, "indexAdd", o -> {
            MemorySegment tt = o.tensor(target, s);
            MemorySegment ti = o.tensor(indices, s);
            MemorySegment ts = o.tensor(source, s);
            MemorySegment al = o.scalar(alpha, DType.F32);
            return (ws, ex) -> Nn.aclnnIndexAddGetWorkspaceSize(tt, 0L, ti, ts, al, tt, ws, ex);
        }, Nn::aclnnIndexAdd);
    }

    @Override
    public void cast(Stream stream, Tensor source, Tensor out) {
        AscendStream s = check("cast", stream, "source", source, "out", out);
        contiguous("cast", "out", out);
        sameShape("cast", "out", out, "source", source);
        if (source.dtype().isFloatingPoint() != out.dtype().isFloatingPoint()) {
            throw new ShapeException("cast: converts float to float or index to index, got " + source.dtype()
                    + " to " + out.dtype());
        }
        if (out.numel() == 0) {
            return;
        }
        int type = aclType(out.dtype());
        run(s, "cast", o -> {
            MemorySegment ts = o.tensor(source, s);
            MemorySegment to = o.tensor(out, s);
            return (ws, ex) -> Nn.aclnnCastGetWorkspaceSize(ts, type, to, ws, ex);
        }, Nn::aclnnCast);
    }

    @Override
    public void copy(Stream stream, Tensor source, Tensor out) {
        AscendStream s = check("copy", stream, "source", source, "out", out);
        contiguous("copy", "out", out);
        if (source.dtype() != out.dtype()) {
            throw new ShapeException("copy: needs equal dtypes, got " + source.dtype() + " and " + out.dtype());
        }
        sameShape("copy", "source", source, "out", out);
        if (out.numel() == 0) {
            return;
        }
        run(s, "copy", o -> {
            MemorySegment to = o.tensor(out, s);
            MemorySegment ts = o.tensor(source, s);
            return (ws, ex) -> Nn.aclnnInplaceCopyGetWorkspaceSize(to, ts, ws, ex);
        }, Nn::aclnnInplaceCopy);
    }

    @Override
    public void fill(Stream stream, Tensor out, double value) {
        AscendStream s = check("fill", stream, "out", out);
        contiguous("fill", "out", out);
        if (!out.dtype().isFloatingPoint()) {
            double lo = switch (out.dtype()) {
                case I8 -> Byte.MIN_VALUE;
                case I32 -> Integer.MIN_VALUE;
                case I64 -> -0x1p63;
                default -> 0;
            };
            double hi = switch (out.dtype()) {
                case I8 -> Byte.MAX_VALUE;
                case U8 -> 255;
                case BOOL -> 1;
                case I32 -> Integer.MAX_VALUE;
                default -> 0x1p63;
            };
            if (value != Math.rint(value) || value < lo || value >= hi + (out.dtype() == DType.I64 ? 0 : 1)) {
                throw new OutOfRangeException("fill: " + value + " is not representable in " + out.dtype());
            }
        }
        if (out.numel() == 0) {
            return;
        }
        run(s, "fill", o -> {
            MemorySegment to = o.tensor(out, s);
            MemorySegment v = o.scalar(value, out.dtype());
            return (ws, ex) -> Nn.aclnnInplaceFillScalarGetWorkspaceSize(to, v, ws, ex);
        }, Nn::aclnnInplaceFillScalar);
    }

    AscendDevice device() {
        return device;
    }

    @Override
    public String toString() {
        return "AscendKernels[device " + device.id() + "]";
    }

}
