package dev.tandem.ascend;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.aclnn.Aclnn;
import dev.tandem.ascend.internal.Check;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * {@link Kernels} through aclnn's two-phase operators. Each call validates on the host, then, atomically on the
 * stream: phase 1 ({@code ...GetWorkspaceSize}) builds the executor, a workspace is taken from the stream-ordered
 * allocator when one is needed, phase 2 enqueues, and the host-side aclTensor/aclScalar objects are destroyed
 * right after phase 2 returns; the workspace is released in stream order after the operator.
 */
final class AscendKernels implements Kernels {
    private static final byte KEEP_DTYPE = 0;

    private final AscendDevice device;

    AscendKernels(AscendDevice device) {
        this.device = device;
    }

    void close() {
        // Nothing cached: workspaces are per call.
    }

    @FunctionalInterface
    private interface Phase1 {
        int call(MemorySegment workspaceSize, MemorySegment executor);
    }

    @FunctionalInterface
    private interface Phase2 {
        int call(MemorySegment workspace, long workspaceSize, MemorySegment executor, MemorySegment stream);
    }

    /** Host-side aclnn objects of one call; destroyed when the call is done. */
    private final class Objects implements AutoCloseable {
        final Arena arena = Arena.ofConfined();
        final List<MemorySegment> tensors = new ArrayList<>();
        final List<MemorySegment> scalars = new ArrayList<>();

        MemorySegment tensor(Tensor t, AscendStream s) {
            AscendBuffer b = s.buffer(t.buffer());
            b.markUsed(s);
            long[] shape = t.shape();
            long[] storage = {b.byteSize() / t.dtype().byteSize()};
            MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, shape.length == 0 ? new long[]{1} : shape);
            MemorySegment strides = arena.allocateFrom(ValueLayout.JAVA_LONG, shape.length == 0 ? new long[]{1} : t.strides());
            MemorySegment h = Check.aclnnObject("aclCreateTensor", Aclnn.aclCreateTensor(dims, Math.max(1, shape.length),
                    aclType(t.dtype()), strides, t.offset(), AclRt.ACL_FORMAT_ND(),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, storage), 1, b.pointer(0)));
            tensors.add(h);
            return h;
        }

        MemorySegment scalar(double value, DType like) {
            MemorySegment v;
            int type;
            if (like.isFloatingPoint()) {
                v = arena.allocateFrom(ValueLayout.JAVA_FLOAT, (float) value);
                type = AclRt.ACL_FLOAT();
            } else {
                v = arena.allocateFrom(ValueLayout.JAVA_LONG, (long) value);
                type = AclRt.ACL_INT64();
            }
            MemorySegment h = Check.aclnnObject("aclCreateScalar", Aclnn.aclCreateScalar(v, type));
            scalars.add(h);
            return h;
        }

        MemorySegment out() {
            return arena.allocate(ValueLayout.ADDRESS);
        }

        @Override
        public void close() {
            for (MemorySegment t : tensors) {
                Aclnn.aclDestroyTensor(t);
            }
            for (MemorySegment s : scalars) {
                Aclnn.aclDestroyScalar(s);
            }
            arena.close();
        }
    }

    static int aclType(DType t) {
        return switch (t) {
            case F32 -> AclRt.ACL_FLOAT();
            case F16 -> AclRt.ACL_FLOAT16();
            case BF16 -> AclRt.ACL_BF16();
            case I8 -> AclRt.ACL_INT8();
            case I32 -> AclRt.ACL_INT32();
            case I64 -> AclRt.ACL_INT64();
            case U8 -> AclRt.ACL_UINT8();
            case BOOL -> AclRt.ACL_BOOL();
        };
    }

    /** Runs phase 1 and 2 of one operator on the stream; {@code build} creates the aclnn objects. */
    private void run(AscendStream s, String op, String fn, java.util.function.Function<Objects, Phase1> build, Phase2 phase2) {
        s.enqueue(op, -1, () -> {
            try (Objects o = new Objects(); Arena arena = Arena.ofConfined()) {
                Phase1 phase1 = build.apply(o);
                MemorySegment wsSize = arena.allocate(ValueLayout.JAVA_LONG);
                MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);
                Check.aclnn(fn + "GetWorkspaceSize", phase1.call(wsSize, exec));
                long size = wsSize.get(ValueLayout.JAVA_LONG, 0);
                AscendBuffer workspace = size > 0 ? (AscendBuffer) device.allocate(size, s) : null;
                try {
                    Check.aclnn(fn, phase2.call(workspace == null ? MemorySegment.NULL : workspace.pointer(0), size,
                            exec.get(ValueLayout.ADDRESS, 0), s.handle()));
                } finally {
                    if (workspace != null) {
                        workspace.close();
                    }
                }
            }
        });
    }

    // ---- validation ----

    private AscendStream check(Stream stream, Tensor... tensors) {
        AscendStream s = device.stream(stream);
        s.ensureUsable();
        for (Tensor t : tensors) {
            java.util.Objects.requireNonNull(t, "tensor");
            if (t.device() != device) {
                throw new WrongDeviceException(t + " is on device " + t.device().id() + ", not device " + device.id());
            }
            if (t.buffer().isClosed()) {
                throw new IllegalStateException(t + " uses a closed buffer");
            }
        }
        return s;
    }

    private static void floating(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (!t.dtype().isFloatingPoint()) {
                throw new ShapeException(op + " needs F32, BF16 or F16 tensors, got " + t);
            }
        }
    }

    private static void contiguous(String op, Tensor out) {
        if (!out.isContiguous()) {
            throw new ShapeException(op + " needs a contiguous output, got " + out);
        }
    }

    private static void sameShape(String op, Tensor a, Tensor b) {
        if (!a.sameShape(b)) {
            throw new ShapeException(op + ": shapes differ: " + a + " and " + b);
        }
    }

    private static void suffix(String op, Tensor a, Tensor b) {
        long[] as = a.shape();
        long[] bs = b.shape();
        if (bs.length > as.length || !Arrays.equals(bs, Arrays.copyOfRange(as, as.length - bs.length, as.length))) {
            throw new ShapeException(op + ": " + b + " is neither the shape of " + a + " nor a suffix of it");
        }
    }

    private static boolean overlaps(Tensor a, Tensor b) {
        return a.buffer() == b.buffer();
    }

    // ---- operators ----

    @Override
    public void matmul(Stream stream, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        AscendStream s = check(stream, a, b, out);
        floating("matmul", a, b, out);
        contiguous("matmul", out);
        Tensor x = transposeA ? a.transpose(-1, -2) : a;
        Tensor y = transposeB ? b.transpose(-1, -2) : b;
        if (x.rank() < 2 || x.rank() > 3 || y.rank() < 2 || y.rank() > x.rank()) {
            throw new ShapeException("matmul needs [m,k]x[k,n] or [b,m,k]x([b,k,n] or [k,n]), got " + x + " x " + y);
        }
        long m = x.dim(-2);
        long k = x.dim(-1);
        long n = y.dim(-1);
        if (y.dim(-2) != k) {
            throw new ShapeException("matmul inner dimensions differ: " + x + " x " + y);
        }
        long[] expected = x.rank() == 3 ? new long[]{x.dim(0), m, n} : new long[]{m, n};
        if (y.rank() == 3 && y.dim(0) != x.dim(0)) {
            throw new ShapeException("matmul batch sizes differ: " + x + " x " + y);
        }
        if (!Arrays.equals(out.shape(), expected)) {
            throw new ShapeException("matmul output must be " + Arrays.toString(expected) + ", got " + out);
        }
        if (overlaps(out, a) || overlaps(out, b)) {
            throw new ShapeException("matmul output must not alias an input");
        }
        if (out.numel() == 0) {
            return;
        }
        if (k == 0) {
            fill(stream, out, 0.0);
            return;
        }
        run(s, "matmul", "aclnnMatmul",
                o -> {
                    MemorySegment tx = o.tensor(x, s);
                    MemorySegment ty = o.tensor(y, s);
                    MemorySegment to = o.tensor(out, s);
                    return (ws, ex) -> Aclnn.aclnnMatmulGetWorkspaceSize(tx, ty, to, KEEP_DTYPE, ws, ex);
                },
                Aclnn::aclnnMatmul);
    }

    private void binary(Stream stream, String op, Tensor a, Tensor b, Tensor out, Float alpha, boolean multiply) {
        AscendStream s = check(stream, a, b, out);
        floating(op, a, b, out);
        contiguous(op, out);
        suffix(op, a, b);
        sameShape(op, a, out);
        if (out.numel() == 0) {
            return;
        }
        if (multiply) {
            run(s, op, "aclnnMul", o -> {
                MemorySegment ta = o.tensor(a, s);
                MemorySegment tb = o.tensor(b, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Aclnn.aclnnMulGetWorkspaceSize(ta, tb, to, ws, ex);
            }, Aclnn::aclnnMul);
        } else {
            run(s, op, "aclnnAdd", o -> {
                MemorySegment ta = o.tensor(a, s);
                MemorySegment tb = o.tensor(b, s);
                MemorySegment to = o.tensor(out, s);
                MemorySegment al = o.scalar(alpha, DType.F32);
                return (ws, ex) -> Aclnn.aclnnAddGetWorkspaceSize(ta, tb, al, to, ws, ex);
            }, Aclnn::aclnnAdd);
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
        AscendStream s = check(stream, a, out);
        floating("scale", a, out);
        contiguous("scale", out);
        sameShape("scale", a, out);
        if (out.numel() == 0) {
            return;
        }
        run(s, "scale", "aclnnMuls", o -> {
            MemorySegment ta = o.tensor(a, s);
            MemorySegment to = o.tensor(out, s);
            MemorySegment al = o.scalar(alpha, DType.F32);
            return (ws, ex) -> Aclnn.aclnnMulsGetWorkspaceSize(ta, al, to, ws, ex);
        }, Aclnn::aclnnMuls);
    }

    @Override
    public void rmsNorm(Stream stream, Tensor x, Tensor weight, float eps, Tensor out) {
        AscendStream s = check(stream, x, weight, out);
        floating("rmsNorm", x, weight, out);
        contiguous("rmsNorm", out);
        sameShape("rmsNorm", x, out);
        if (x.rank() < 1 || weight.rank() != 1 || weight.dim(0) != x.dim(-1)) {
            throw new ShapeException("rmsNorm weight must be [" + (x.rank() < 1 ? "?" : x.dim(-1)) + "], got " + weight);
        }
        if (out.numel() == 0) {
            return;
        }
        long rows = x.numel() / x.dim(-1);
        Tensor rstd = Tensor.allocate(device, s, DType.F32, rows);
        try {
            run(s, "rmsNorm", "aclnnRmsNorm", o -> {
                MemorySegment tx = o.tensor(x, s);
                MemorySegment tw = o.tensor(weight, s);
                MemorySegment to = o.tensor(out, s);
                MemorySegment tr = o.tensor(rstd, s);
                return (ws, ex) -> Aclnn.aclnnRmsNormGetWorkspaceSize(tx, tw, eps, to, tr, ws, ex);
            }, Aclnn::aclnnRmsNorm);
        } finally {
            rstd.buffer().close();
        }
    }

    private void unary(Stream stream, String op, Tensor x, Tensor out, boolean sigmoid) {
        AscendStream s = check(stream, x, out);
        floating(op, x, out);
        contiguous(op, out);
        sameShape(op, x, out);
        if (out.numel() == 0) {
            return;
        }
        if (sigmoid) {
            run(s, op, "aclnnSigmoid", o -> {
                MemorySegment tx = o.tensor(x, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Aclnn.aclnnSigmoidGetWorkspaceSize(tx, to, ws, ex);
            }, Aclnn::aclnnSigmoid);
        } else {
            run(s, op, "aclnnSilu", o -> {
                MemorySegment tx = o.tensor(x, s);
                MemorySegment to = o.tensor(out, s);
                return (ws, ex) -> Aclnn.aclnnSiluGetWorkspaceSize(tx, to, ws, ex);
            }, Aclnn::aclnnSilu);
        }
    }

    @Override
    public void silu(Stream stream, Tensor x, Tensor out) {
        unary(stream, "silu", x, out, false);
    }

    @Override
    public void sigmoid(Stream stream, Tensor x, Tensor out) {
        unary(stream, "sigmoid", x, out, true);
    }

    @Override
    public void swiglu(Stream stream, Tensor gate, Tensor up, Tensor out) {
        AscendStream s = check(stream, gate, up, out);
        floating("swiglu", gate, up, out);
        contiguous("swiglu", out);
        sameShape("swiglu", gate, up);
        sameShape("swiglu", gate, out);
        if (out.numel() == 0) {
            return;
        }
        if (!overlaps(out, up)) {
            // out = silu(gate); out *= up
            silu(stream, gate, out);
            run(s, "swiglu", "aclnnInplaceMul", o -> {
                MemorySegment to = o.tensor(out, s);
                MemorySegment tu = o.tensor(up, s);
                return (ws, ex) -> Aclnn.aclnnInplaceMulGetWorkspaceSize(to, tu, ws, ex);
            }, Aclnn::aclnnInplaceMul);
            return;
        }
        Tensor tmp = Tensor.allocate(device, s, out.dtype(), out.shape());
        try {
            silu(stream, gate, tmp);
            mul(stream, tmp, up, out);
        } finally {
            tmp.buffer().close();
        }
    }

    @Override
    public void softmax(Stream stream, Tensor x, Tensor out, long causalOffset) {
        AscendStream s = check(stream, x, out);
        floating("softmax", x, out);
        contiguous("softmax", out);
        sameShape("softmax", x, out);
        if (x.rank() < 1) {
            throw new ShapeException("softmax needs rank >= 1, got " + x);
        }
        if (causalOffset >= 0) {
            throw new UnsupportedOperationException("causal softmax is not implemented by the ascend backend yet");
        }
        if (out.numel() == 0) {
            return;
        }
        run(s, "softmax", "aclnnSoftmax", o -> {
            MemorySegment tx = o.tensor(x, s);
            MemorySegment to = o.tensor(out, s);
            return (ws, ex) -> Aclnn.aclnnSoftmaxGetWorkspaceSize(tx, -1L, to, ws, ex);
        }, Aclnn::aclnnSoftmax);
    }

    @Override
    public void rope(Stream stream, Tensor x, Tensor positions, Tensor frequencies, Tensor out) {
        check(stream, x, positions, frequencies, out);
        throw new UnsupportedOperationException("rope is not implemented by the ascend backend yet");
    }

    @Override
    public void topk(Stream stream, Tensor x, int k, Tensor values, Tensor indices) {
        AscendStream s = check(stream, x, values, indices);
        floating("topk", x, values);
        contiguous("topk", values);
        contiguous("topk", indices);
        if (!indices.dtype().isIndex()) {
            throw new ShapeException("topk indices must be I32 or I64, got " + indices);
        }
        if (x.rank() != 2) {
            throw new ShapeException("topk needs x of rank 2, got " + x);
        }
        if (k < 0 || k > x.dim(1)) {
            throw new OutOfRangeException("topk k=" + k + " out of range for rows of " + x.dim(1));
        }
        long[] expected = {x.dim(0), k};
        if (!Arrays.equals(values.shape(), expected) || !Arrays.equals(indices.shape(), expected)) {
            throw new ShapeException("topk outputs must be " + Arrays.toString(expected) + ", got " + values + " and " + indices);
        }
        if (values.numel() == 0) {
            return;
        }
        run(s, "topk", "aclnnTopk", o -> {
            MemorySegment tx = o.tensor(x, s);
            MemorySegment tv = o.tensor(values, s);
            MemorySegment ti = o.tensor(indices, s);
            return (ws, ex) -> Aclnn.aclnnTopkGetWorkspaceSize(tx, k, -1L, true, true, tv, ti, ws, ex);
        }, Aclnn::aclnnTopk);
    }

    @Override
    public void indexSelect(Stream stream, Tensor source, Tensor indices, Tensor out) {
        AscendStream s = check(stream, source, indices, out);
        contiguous("indexSelect", out);
        if (!indices.dtype().isIndex() || indices.rank() != 1) {
            throw new ShapeException("indexSelect indices must be a 1-D I32/I64 tensor, got " + indices);
        }
        if (source.rank() < 1 || out.rank() != source.rank() || out.dim(0) != indices.dim(0)
                || !Arrays.equals(Arrays.copyOfRange(out.shape(), 1, out.rank()), Arrays.copyOfRange(source.shape(), 1, source.rank()))) {
            throw new ShapeException("indexSelect output must be [" + indices.dim(0) + ", ...source rows], got " + out);
        }
        if (source.dtype() != out.dtype()) {
            throw new ShapeException("indexSelect needs out of the source dtype, got " + source + " and " + out);
        }
        if (out.numel() == 0) {
            return;
        }
        run(s, "indexSelect", "aclnnIndexSelect", o -> {
            MemorySegment ts = o.tensor(source, s);
            MemorySegment ti = o.tensor(indices, s);
            MemorySegment to = o.tensor(out, s);
            return (ws, ex) -> Aclnn.aclnnIndexSelectGetWorkspaceSize(ts, 0L, ti, to, ws, ex);
        }, Aclnn::aclnnIndexSelect);
    }

    @Override
    public void indexAdd(Stream stream, Tensor target, Tensor indices, Tensor source, float alpha) {
        AscendStream s = check(stream, target, indices, source);
        floating("indexAdd", target, source);
        contiguous("indexAdd", target);
        if (!indices.dtype().isIndex() || indices.rank() != 1) {
            throw new ShapeException("indexAdd indices must be a 1-D I32/I64 tensor, got " + indices);
        }
        if (target.rank() < 1 || source.rank() != target.rank() || source.dim(0) != indices.dim(0)
                || !Arrays.equals(Arrays.copyOfRange(source.shape(), 1, source.rank()), Arrays.copyOfRange(target.shape(), 1, target.rank()))) {
            throw new ShapeException("indexAdd source must be [" + indices.dim(0) + ", ...target rows], got " + source);
        }
        if (source.numel() == 0) {
            return;
        }
        run(s, "indexAdd", "aclnnIndexAdd", o -> {
            MemorySegment tt = o.tensor(target, s);
            MemorySegment ti = o.tensor(indices, s);
            MemorySegment ts = o.tensor(source, s);
            MemorySegment al = o.scalar(alpha, DType.F32);
            return (ws, ex) -> Aclnn.aclnnIndexAddGetWorkspaceSize(tt, 0L, ti, ts, al, tt, ws, ex);
        }, Aclnn::aclnnIndexAdd);
    }

    @Override
    public void cast(Stream stream, Tensor source, Tensor out) {
        AscendStream s = check(stream, source, out);
        contiguous("cast", out);
        sameShape("cast", source, out);
        if (source.dtype().isFloatingPoint() != out.dtype().isFloatingPoint()) {
            throw new ShapeException("cast converts float to float or index to index, got " + source + " to " + out);
        }
        if (out.numel() == 0) {
            return;
        }
        int type = aclType(out.dtype());
        run(s, "cast", "aclnnCast", o -> {
            MemorySegment ts = o.tensor(source, s);
            MemorySegment to = o.tensor(out, s);
            return (ws, ex) -> Aclnn.aclnnCastGetWorkspaceSize(ts, type, to, ws, ex);
        }, Aclnn::aclnnCast);
    }

    @Override
    public void copy(Stream stream, Tensor source, Tensor out) {
        AscendStream s = check(stream, source, out);
        contiguous("copy", out);
        sameShape("copy", source, out);
        if (source.dtype() != out.dtype()) {
            throw new ShapeException("copy needs equal dtypes, got " + source + " and " + out);
        }
        if (out.numel() == 0) {
            return;
        }
        run(s, "copy", "aclnnInplaceCopy", o -> {
            MemorySegment to = o.tensor(out, s);
            MemorySegment ts = o.tensor(source, s);
            return (ws, ex) -> Aclnn.aclnnInplaceCopyGetWorkspaceSize(to, ts, ws, ex);
        }, Aclnn::aclnnInplaceCopy);
    }

    @Override
    public void fill(Stream stream, Tensor out, double value) {
        AscendStream s = check(stream, out);
        contiguous("fill", out);
        if (out.numel() == 0) {
            return;
        }
        run(s, "fill", "aclnnInplaceFillScalar", o -> {
            MemorySegment to = o.tensor(out, s);
            MemorySegment v = o.scalar(value, out.dtype());
            return (ws, ex) -> Aclnn.aclnnInplaceFillScalarGetWorkspaceSize(to, v, ws, ex);
        }, Aclnn::aclnnInplaceFillScalar);
    }

    @Override
    public String toString() {
        return "AscendKernels[device " + device.id() + "]";
    }

}
