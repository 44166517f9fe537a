package dev.tandem.ascend;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.util.List;
import java.util.Locale;

/**
 * One operator run of {@link Doctor}: the same inputs on a device of any backend, the output read back as floats,
 * so that an Ascend device's result can be compared with the host backend's.
 */
record OperatorCheck(String name, List<DType> dtypes, Body body) {
    @FunctionalInterface
    interface Body {
        /** Enqueues the operator on {@code s} with inputs made by {@link Inputs}; returns the tensor to read back. */
        Tensor run(Kernels k, Stream s, Inputs in, DType dtype);
    }

    /** Deterministic inputs on one device. */
    record Inputs(Device device, Stream stream) {
        Tensor floats(DType dtype, long... shape) {
            Tensor t = Tensor.allocate(device, stream, dtype, shape);
            float[] v = new float[(int) t.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.sin(i * 0.7 + shape.length) * 0.5f;
            }
            stream.upload(v, t);
            return t;
        }

        Tensor longs(long[] values) {
            Tensor t = Tensor.allocate(device, stream, DType.I64, values.length);
            stream.upload(values, t);
            return t;
        }

        Tensor empty(DType dtype, long... shape) {
            return Tensor.allocate(device, stream, dtype, shape);
        }
    }

    private static final List<DType> FLOATS = List.of(DType.F32, DType.BF16);

    static List<OperatorCheck> all() {
        return List.of(
                new OperatorCheck("matmul", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 4, 3);
                    k.matmul(s, in.floats(t, 4, 8), in.floats(t, 8, 3), out);
                    return out;
                }),
                new OperatorCheck("linear", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 4, 5);
                    k.linear(s, in.floats(t, 4, 8), in.floats(t, 5, 8), out);
                    return out;
                }),
                new OperatorCheck("add", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 6, 4);
                    k.add(s, in.floats(t, 6, 4), in.floats(t, 4), out);
                    return out;
                }),
                new OperatorCheck("mul", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 6, 4);
                    k.mul(s, in.floats(t, 6, 4), in.floats(t, 6, 4), out);
                    return out;
                }),
                new OperatorCheck("addScaled", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 10);
                    k.addScaled(s, in.floats(t, 10), in.floats(t, 10), 0.25f, out);
                    return out;
                }),
                new OperatorCheck("scale", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 10);
                    k.scale(s, in.floats(t, 10), -3f, out);
                    return out;
                }),
                new OperatorCheck("rmsNorm", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 3, 16);
                    k.rmsNorm(s, in.floats(t, 3, 16), in.floats(t, 16), 1e-6f, out);
                    return out;
                }),
                new OperatorCheck("silu", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 12);
                    k.silu(s, in.floats(t, 12), out);
                    return out;
                }),
                new OperatorCheck("sigmoid", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 12);
                    k.sigmoid(s, in.floats(t, 12), out);
                    return out;
                }),
                new OperatorCheck("swiglu", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 3, 8);
                    k.swiglu(s, in.floats(t, 3, 8), in.floats(t, 3, 8), out);
                    return out;
                }),
                new OperatorCheck("swiglu of gate|up", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 3, 8);
                    k.swiglu(s, in.floats(t, 3, 16), -1, out);
                    return out;
                }),
                new OperatorCheck("softmax", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 4, 9);
                    k.softmax(s, in.floats(t, 4, 9), out);
                    return out;
                }),
                new OperatorCheck("softmax causal", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 4, 6);
                    k.softmax(s, in.floats(t, 4, 6), out, 2);
                    return out;
                }),
                new OperatorCheck("rope", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 3, 2, 8);
                    k.rope(s, in.floats(t, 3, 2, 8), in.longs(new long[]{0, 5, 9}), in.floats(DType.F32, 4), out);
                    return out;
                }),
                new OperatorCheck("topk values", List.of(DType.F32), (k, s, in, t) -> {
                    Tensor values = in.empty(t, 3, 2);
                    k.topk(s, in.floats(t, 3, 7), 2, values, in.empty(DType.I64, 3, 2));
                    return values;
                }),
                new OperatorCheck("topk indices", List.of(DType.I64, DType.I32), (k, s, in, t) -> {
                    Tensor idx = in.empty(t, 3, 2);
                    k.topk(s, in.floats(DType.F32, 3, 7), 2, in.empty(DType.F32, 3, 2), idx);
                    return idx;
                }),
                new OperatorCheck("moeGatingTopK weights", FLOATS, (k, s, in, t) -> {
                    Tensor w = in.empty(t, 3, 4);
                    k.moeGatingTopK(s, in.floats(t, 3, 16), in.floats(DType.F32, 16),
                            dev.tandem.runtime.MoeGating.noauxTc(4, 4, 2, true, 2.5f), w, in.empty(DType.I32, 3, 4));
                    return w;
                }),
                new OperatorCheck("moeGatingTopK indices", List.of(DType.I32), (k, s, in, t) -> {
                    Tensor ix = in.empty(DType.I32, 3, 4);
                    k.moeGatingTopK(s, in.floats(DType.F32, 3, 16), null,
                            dev.tandem.runtime.MoeGating.softmax(4, 4, 2, false, 1f), in.empty(DType.F32, 3, 4), ix);
                    return ix;
                }),
                new OperatorCheck("moeDispatch rows", FLOATS, (k, s, in, t) -> {
                    Tensor rows = in.empty(t, 12, 5);
                    k.moeDispatch(s, in.floats(t, 4, 5), experts(s, in), 6, rows, in.empty(DType.I32, 12),
                            in.empty(DType.I32, 6));
                    return rows;
                }),
                new OperatorCheck("moeDispatch rowOf and counts", List.of(DType.I32), (k, s, in, t) -> {
                    Tensor rowOf = in.empty(DType.I32, 12);
                    Tensor counts = in.empty(DType.I32, 6);
                    Tensor both = in.empty(DType.I32, 18);
                    k.moeDispatch(s, in.floats(DType.F32, 4, 5), experts(s, in), 6, in.empty(DType.F32, 12, 5),
                            both.slice(0, 0, 12), both.slice(0, 12, 18));
                    return both;
                }),
                new OperatorCheck("indexSelect", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 3, 4);
                    k.indexSelect(s, in.floats(t, 5, 4), in.longs(new long[]{4, 0, 2}), out);
                    return out;
                }),
                new OperatorCheck("indexAdd", List.of(DType.F32), (k, s, in, t) -> {
                    Tensor target = in.floats(t, 5, 4);
                    k.indexAdd(s, target, in.longs(new long[]{1, 3, 1}), in.floats(t, 3, 4), 0.5f);
                    return target;
                }),
                new OperatorCheck("cast", List.of(DType.BF16, DType.F16), (k, s, in, t) -> {
                    Tensor narrow = in.empty(t, 9);
                    k.cast(s, in.floats(DType.F32, 9), narrow);
                    return narrow;
                }),
                new OperatorCheck("copy", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 4, 3);
                    k.copy(s, in.floats(t, 3, 4).transpose(0, 1), out);
                    return out;
                }),
                new OperatorCheck("fill", FLOATS, (k, s, in, t) -> {
                    Tensor out = in.empty(t, 7);
                    k.fill(s, out, 1.5);
                    return out;
                }));
    }

    /** Expert ids {@code [4, 3]} for the dispatch checks: uneven counts, one expert unused. */
    private static Tensor experts(Stream s, Inputs in) {
        Tensor ids = in.empty(DType.I32, 4, 3);
        s.upload(new int[]{5, 0, 2, 2, 5, 1, 0, 3, 2, 5, 1, 0}, ids);
        return ids;
    }

    /** Runs on one device of any backend and reads the result back as floats. */
    float[] run(Device device, DType dtype) {
        Stream s = device.createStream("doctor-" + name);
        try {
            Tensor result = body.run(device.kernels(), s, new Inputs(device, s), dtype);
            if (result.dtype().isFloatingPoint()) {
                return s.readFloats(result);
            }
            float[] f = new float[(int) result.numel()];
            if (result.dtype() == DType.I64) {
                long[] v = new long[f.length];
                s.download(result, v);
                s.synchronize();
                for (int i = 0; i < f.length; i++) {
                    f[i] = v[i];
                }
            } else {
                int[] v = new int[f.length];
                s.download(result, v);
                s.synchronize();
                for (int i = 0; i < f.length; i++) {
                    f[i] = v[i];
                }
            }
            return f;
        } finally {
            s.close();
        }
    }

    /** Null when every value is within the dtype's tolerance, else the first difference. */
    static String compare(float[] want, float[] got, DType dtype) {
        if (want.length != got.length) {
            return "length " + got.length + ", host backend " + want.length;
        }
        double tol = switch (dtype) {
            case BF16 -> 2e-2;
            case F16 -> 2e-3;
            default -> 1e-4;
        };
        for (int i = 0; i < want.length; i++) {
            double diff = Math.abs((double) want[i] - got[i]);
            if (!(diff <= tol * Math.max(1, Math.abs(want[i])))) {
                return String.format(Locale.ROOT, "element %d: %s, host backend %s (tolerance %.0e)", i, got[i], want[i], tol);
            }
        }
        return null;
    }
}
