package dev.tandem.runtime.conformance;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.FloatFormats;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.MoeGating;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every kernel against a plain Java reference written here, through the public API only: all floating dtypes,
 * strided, transposed, sliced and offset inputs, broadcasting, masks, ties, repeated indices, round trips,
 * determinism, and bad input (the right exception, a message naming the problem, and nothing enqueued).
 * Results of narrow dtypes are compared with a tolerance that covers their storage rounding.
 */
public abstract class KernelConformance extends ConformanceBase {

    /**
     * The exception a value found invalid while the work runs (an index out of range, an integer that does not fit)
     * fails the stream with. A host backend can name it {@link OutOfRangeException}; a device reports a fault code
     * (CANN: 507015) that does not say which check failed, so its backend's type is more general.
     */
    protected Class<? extends Throwable> deviceFaultType() {
        return OutOfRangeException.class;
    }
    private static final DType[] FLOATS = {DType.F32, DType.BF16, DType.F16};

    private Device device;
    private Stream stream;
    private Kernels kernels;
    private final Random random = new Random(20261128);

    @BeforeEach
    void openDevice() {
        device = runtime().device(0);
        stream = device.createStream("kernels");
        kernels = device.kernels();
    }

    // ---- helpers ----

    /** A device tensor and the values it holds (as stored, i.e. rounded to its dtype). */
    private record Data(Tensor tensor, float[] values) {
    }

    private Tensor tensor(DType dtype, long... shape) {
        return Tensor.allocate(device, stream, dtype, shape);
    }

    private float[] randoms(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (random.nextFloat() * 2 - 1) * scale;
        }
        return v;
    }

    private Data upload(DType dtype, float[] values, long... shape) {
        Tensor t = tensor(dtype, shape);
        stream.upload(values, t);
        return new Data(t, stored(dtype, values));
    }

    private Data random(DType dtype, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return upload(dtype, randoms((int) n, 1f), shape);
    }

    private static float[] stored(DType dtype, float[] values) {
        float[] r = new float[values.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = FloatFormats.roundTo(dtype, values[i]);
        }
        return r;
    }

    private Tensor indices(DType dtype, long... values) {
        Tensor t = tensor(dtype, values.length);
        if (dtype == DType.I64) {
            stream.upload(values, t);
        } else {
            int[] ints = new int[values.length];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = (int) values[i];
            }
            stream.upload(ints, t);
        }
        return t;
    }

    private float[] read(Tensor t) {
        return stream.readFloats(t);
    }

    private long[] readIndices(Tensor t) {
        long[] out = new long[Math.toIntExact(t.numel())];
        if (t.dtype() == DType.I64) {
            stream.download(t, out);
        } else {
            int[] ints = new int[out.length];
            stream.download(t, ints);
            stream.synchronize();
            for (int i = 0; i < ints.length; i++) {
                out[i] = ints[i];
            }
        }
        stream.synchronize();
        return out;
    }

    /** Relative tolerance (against max(1, |expected|)) for results stored in {@code dtype}. */
    private static double tolerance(DType dtype) {
        return switch (dtype) {
            case BF16 -> 1.6e-2;
            case F16 -> 2e-3;
            default -> 2e-4;
        };
    }

    private static void assertClose(float[] actual, double[] expected, DType dtype, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        double tol = tolerance(dtype);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            if (Math.abs(actual[i] - e) > tol * Math.max(1, Math.abs(e)) || Double.isNaN(actual[i]) != Double.isNaN(e)) {
                fail(what + ": element " + i + " is " + actual[i] + " but expected " + e + " (tolerance " + tol + ")"
                        + "\nactual   " + Arrays.toString(actual) + "\nexpected " + Arrays.toString(expected));
            }
        }
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /** Values of a [rows, cols] row-major matrix, transposed. */
    private static float[] transposed(float[] v, int rows, int cols) {
        float[] t = new float[v.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = v[i * cols + j];
            }
        }
        return t;
    }

    /** Reference matmul of row-major a [m,k] and b [k,n], in double. */
    private static double[] matmul(float[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = sum;
            }
        }
        return c;
    }

    /**
     * Asserts that {@code call} throws {@code type} with a message containing every part, and that nothing was
     * enqueued: the stream still works and {@code output} keeps the sentinel written before.
     */
    private void assertRejected(Class<? extends Exception> type, Tensor output, ThrowingCallable call, String... parts) {
        float[] sentinel = new float[Math.toIntExact(output.numel())];
        Arrays.fill(sentinel, 42f);
        stream.upload(sentinel, output);
        stream.synchronize();
        var thrown = assertThatThrownBy(call).isExactlyInstanceOf(type);
        for (String part : parts) {
            thrown.hasMessageContaining(part);
        }
        stream.synchronize();
        assertThat(read(output)).as("output after rejected call").containsOnly(42f);
    }

    // ---- matmul ----

    /** Disjoint parts of one buffer are independent tensors on every backend. */
    @Test
    void matmulAcceptsDisjointSlicesOfOneBuffer() {
        Tensor whole = tensor(DType.F32, 12);
        Tensor a = Tensor.at(whole.buffer(), DType.F32, 0, 2, 2);
        Tensor b = Tensor.at(whole.buffer(), DType.F32, 4, 2, 2);
        Tensor out = Tensor.at(whole.buffer(), DType.F32, 8, 2, 2);
        stream.upload(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0}, whole);
        kernels.matmul(stream, a, b, out);
        assertThat(read(out)).containsExactly(19, 22, 43, 50);
    }

    @Test
    void matmulRejectsAnOutputThatOverlapsAnInput() {
        Tensor whole = tensor(DType.F32, 12);
        Tensor a = Tensor.at(whole.buffer(), DType.F32, 0, 2, 2);
        Tensor b = Tensor.at(whole.buffer(), DType.F32, 4, 2, 2);
        Tensor overlapping = Tensor.at(whole.buffer(), DType.F32, 2, 2, 2);
        assertThatThrownBy(() -> kernels.matmul(stream, a, b, overlapping))
                .isExactlyInstanceOf(ShapeException.class).hasMessageContaining("overlaps");
    }

    @Test
    void matmulMatchesReferenceForEveryDtypeAndTranspose() {
        int[][] shapes = {{1, 1, 1}, {5, 7, 3}, {1, 64, 33}, {37, 70, 45}};
        for (DType dtype : FLOATS) {
            for (int[] s : shapes) {
                int m = s[0];
                int k = s[1];
                int n = s[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        Data a = ta ? random(dtype, k, m) : random(dtype, m, k);
                        Data b = tb ? random(dtype, n, k) : random(dtype, k, n);
                        Tensor out = tensor(dtype, m, n);
                        kernels.matmul(stream, a.tensor(), ta, b.tensor(), tb, out);
                        double[] expected = matmul(ta ? transposed(a.values(), k, m) : a.values(),
                                tb ? transposed(b.values(), n, k) : b.values(), m, k, n);
                        assertClose(read(out), expected, dtype,
                                "matmul " + dtype + " " + Arrays.toString(s) + " ta=" + ta + " tb=" + tb);
                    }
                }
            }
        }
    }

    @Test
    void matmulTakesStridedViewsAndOffsets() {
        // a is a [6, 5] window (row stride 9, offset 11) of a larger matrix; b is a transposed view.
        Data big = random(DType.F32, 8, 9);
        Tensor a = big.tensor().slice(0, 1, 7).slice(1, 2, 7);
        float[] aValues = new float[30];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 5; j++) {
                aValues[i * 5 + j] = big.values()[(i + 1) * 9 + j + 2];
            }
        }
        Data bStored = random(DType.BF16, 4, 5);
        Tensor b = bStored.tensor().transpose(0, 1); // [5, 4], not contiguous
        Tensor out = tensor(DType.F32, 6, 4);
        kernels.matmul(stream, a, b, out);
        assertClose(read(out), matmul(aValues, transposed(bStored.values(), 4, 5), 6, 5, 4), DType.F32, "strided matmul");

        Tensor outLinear = tensor(DType.F32, 6, 4);
        kernels.linear(stream, a, bStored.tensor(), outLinear);
        assertClose(read(outLinear), toDoubles(read(out)), DType.F32, "linear is matmul with a transposed weight");
    }

    // ---- attention ----

    /** Reference attention in double: q [h,n,d], k [h or 1,len,d], rope parts likewise, v [h or 1,len,dv]. */
    private static double[] attentionReference(float[] q, float[] k, boolean kShared, float[] qr, float[] kr,
                                               boolean krShared, float[] v, boolean vShared, int h, int n, int len,
                                               int d, int dr, int dv, float scale, long offset) {
        double[] out = new double[h * n * dv];
        for (int head = 0; head < h; head++) {
            for (int i = 0; i < n; i++) {
                double[] s = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                int visible = offset < 0 ? len : (int) Math.max(0, Math.min(len, i + offset + 1));
                for (int j = 0; j < visible; j++) {
                    double dot = 0;
                    for (int p = 0; p < d; p++) {
                        dot += (double) q[(head * n + i) * d + p] * k[((kShared ? 0 : head) * len + j) * d + p];
                    }
                    for (int p = 0; p < dr; p++) {
                        dot += (double) qr[(head * n + i) * dr + p] * kr[((krShared ? 0 : head) * len + j) * dr + p];
                    }
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int c = 0; c < dv; c++) {
                    double acc = 0;
                    for (int j = 0; j < visible; j++) {
                        acc += s[j] / sum * v[((vShared ? 0 : head) * len + j) * dv + c];
                    }
                    out[(head * n + i) * dv + c] = visible == 0 ? 0 : acc;
                }
            }
        }
        return out;
    }

    @Test
    void attentionMatchesReferenceWithCausalOffsetsSharedKeysAndRopeParts() {
        int h = 3;
        int d = 6;
        int dr = 4;
        int dv = 5;
        // (queries, keys, causal offset): a prefill, a continuation over a cached prefix, no mask, and a block
        // boundary of the host's fused kernel (64 queries, 256 keys).
        int[][] cases = {{7, 7, 0}, {5, 12, 7}, {4, 9, -1}, {70, 300, 230}};
        for (int[] c : cases) {
            int n = c[0];
            int len = c[1];
            long offset = c[2];
            for (boolean shared : new boolean[] {false, true}) {
                Data q = random(DType.F32, h, n, d);
                Data qr = random(DType.F32, h, n, dr);
                Data k = shared ? random(DType.F32, len, d) : random(DType.F32, h, len, d);
                Data kr = random(DType.F32, len, dr);
                Data v = shared ? random(DType.F32, len, dv) : random(DType.F32, h, len, dv);
                Tensor out = tensor(DType.F32, h, n, dv);
                kernels.attention(stream, q.tensor(), k.tensor(), qr.tensor(), kr.tensor(), v.tensor(), 0.4f, offset, out);
                assertClose(read(out), attentionReference(q.values(), k.values(), shared, qr.values(), kr.values(), true,
                        v.values(), shared, h, n, len, d, dr, dv, 0.4f, offset), DType.F32,
                        "attention n=" + n + " len=" + len + " offset=" + offset + " shared=" + shared);
                Tensor plain = tensor(DType.F32, h, n, dv);
                kernels.attention(stream, q.tensor(), k.tensor(), v.tensor(), 0.4f, offset, plain);
                assertClose(read(plain), attentionReference(q.values(), k.values(), shared, null, null, true,
                        v.values(), shared, h, n, len, d, 0, dv, 0.4f, offset), DType.F32,
                        "attention without rope n=" + n + " offset=" + offset);
            }
        }
    }

    @Test
    void attentionTakesTransposedQueryViewsAndRejectsBadShapes() {
        // q as MLA makes it: [n, h, d] storage viewed as [h, n, d].
        int h = 2;
        int n = 5;
        int len = 8;
        Data stored = random(DType.F32, n, h, 4);
        Tensor q = stored.tensor().transpose(0, 1);
        float[] qValues = new float[h * n * 4];
        for (int head = 0; head < h; head++) {
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < 4; p++) {
                    qValues[(head * n + i) * 4 + p] = stored.values()[(i * h + head) * 4 + p];
                }
            }
        }
        Data k = random(DType.F32, len, 4);
        Data v = random(DType.F32, len, 3);
        Tensor out = tensor(DType.F32, h, n, 3);
        kernels.attention(stream, q, k.tensor(), v.tensor(), 1f, len - n, out);
        assertClose(read(out), attentionReference(qValues, k.values(), true, null, null, true, v.values(), true,
                h, n, len, 4, 0, 3, 1f, len - n), DType.F32, "attention over a transposed q view");
        assertRejected(ShapeException.class, out,
                () -> kernels.attention(stream, q, tensor(DType.F32, len, 5), v.tensor(), 1f, 0, out), "attention", "k");
        assertRejected(ShapeException.class, out,
                () -> kernels.attention(stream, q, k.tensor(), v.tensor(), 1f, 0, tensor(DType.F32, h, n, 4)),
                "attention", "out");
    }

    /**
     * decodeAttention: each sequence's query over its own keys (lengths 6, 1, 0 and 300, past the host kernel's
     * 256-key block) gives exactly what attention over that sequence alone gives, shared latent or per-head keys,
     * with rope parts or without, from q and qRope viewed as MLA makes them ([B, h, d] storage as [h, B, d]).
     */
    @Test
    void decodeAttentionGivesEachSequenceItsOwnAttention() {
        int h = 3;
        int d = 5;
        int dr = 4;
        int dv = 5;
        int[] lengths = {6, 1, 0, 300};
        int batch = lengths.length;
        for (boolean shared : new boolean[] {true, false}) {
            for (boolean rope : new boolean[] {true, false}) {
                Tensor q = random(DType.F32, batch, h, d).tensor().transpose(0, 1);
                Tensor qr = rope ? random(DType.F32, batch, h, dr).tensor().transpose(0, 1) : null;
                java.util.List<Tensor> keys = new java.util.ArrayList<>();
                java.util.List<Tensor> kRopes = rope ? new java.util.ArrayList<>() : null;
                java.util.List<Tensor> values = new java.util.ArrayList<>();
                for (int len : lengths) {
                    Tensor k = shared ? random(DType.F32, len, d).tensor() : random(DType.F32, h, len, d).tensor();
                    keys.add(k);
                    // MLA's latent is its keys and its values at once
                    values.add(shared ? k : random(DType.F32, h, len, dv).tensor());
                    if (rope) {
                        kRopes.add(random(DType.F32, len, dr).tensor());
                    }
                }
                Tensor out = tensor(DType.F32, h, batch, dv);
                kernels.decodeAttention(stream, q, qr, keys, kRopes, values, 0.3f, out);
                float[] batched = read(out);
                for (int b = 0; b < batch; b++) {
                    Tensor alone = tensor(DType.F32, h, 1, dv);
                    kernels.attention(stream, q.slice(1, b, b + 1), keys.get(b), rope ? qr.slice(1, b, b + 1) : null,
                            rope ? kRopes.get(b) : null, values.get(b), 0.3f, -1, alone);
                    float[] expected = read(alone);
                    float[] actual = new float[h * dv];
                    for (int head = 0; head < h; head++) {
                        System.arraycopy(batched, (head * batch + b) * dv, actual, head * dv, dv);
                    }
                    assertThat(actual).as("sequence %d of %d keys, shared %s, rope %s", b, lengths[b], shared, rope)
                            .containsExactly(expected);
                    if (lengths[b] == 0) {
                        assertThat(actual).containsOnly(0f);
                    }
                }
            }
        }
    }

    @Test
    void copyEachCopiesEveryPairInOrder() {
        Data a = random(DType.F32, 4, 3);
        Data b = random(DType.BF16, 2, 5);
        Tensor cache = tensor(DType.F32, 10, 4);
        Tensor bOut = tensor(DType.BF16, 2, 5);
        // a transposed view into rows 2..5 of a larger buffer (a KV cache's free slots), and a plain pair
        kernels.copyEach(stream, java.util.List.of(a.tensor().transpose(0, 1), b.tensor()),
                java.util.List.of(cache.slice(0, 2, 5), bOut));
        float[] cached = read(cache.slice(0, 2, 5));
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertThat(cached[r * 4 + c]).isEqualTo(a.values()[c * 3 + r]);
            }
        }
        assertThat(read(bOut)).containsExactly(b.values());
    }

    @Test
    void decodeAttentionAndCopyEachRejectBadInputNamingIt() {
        Tensor q = tensor(DType.F32, 2, 2, 4);
        Tensor k0 = tensor(DType.F32, 3, 4);
        Tensor k1 = tensor(DType.F32, 5, 4);
        Tensor out = tensor(DType.F32, 2, 2, 4);
        java.util.List<Tensor> one = java.util.List.of(k0);
        java.util.List<Tensor> two = java.util.List.of(k0, k1);
        assertRejected(ShapeException.class, out,
                () -> kernels.decodeAttention(stream, q, null, one, null, one, 1f, out), "decodeAttention", "2 sequences");
        assertRejected(ShapeException.class, out,
                () -> kernels.decodeAttention(stream, q, null, java.util.List.of(k0, tensor(DType.F32, 5, 3)), null,
                        two, 1f, out), "decodeAttention", "keys[1]");
        assertRejected(ShapeException.class, out,
                () -> kernels.decodeAttention(stream, q, tensor(DType.F32, 2, 2, 2), two, null, two, 1f, out),
                "decodeAttention", "kRopes");
        assertRejected(ShapeException.class, out,
                () -> kernels.decodeAttention(stream, q, null, two, null, two, 1f, tensor(DType.F32, 2, 4, 2)
                        .transpose(1, 2)), "decodeAttention", "contiguous");
        assertRejected(OutOfRangeException.class, out,
                () -> kernels.decodeAttention(stream, q, null, two, null, two, Float.NaN, out), "decodeAttention", "scale");
        assertThatThrownBy(() -> kernels.decodeAttention(stream, q, null, null, null, two, 1f, out))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("keys");
        Tensor source = tensor(DType.F32, 3, 4);
        assertRejected(ShapeException.class, out,
                () -> kernels.copyEach(stream, java.util.List.of(source, source), java.util.List.of(out)),
                "copyEach", "2 sources but 1 outs");
        assertRejected(ShapeException.class, out,
                () -> kernels.copyEach(stream, java.util.List.of(source), java.util.List.of(out)), "copyEach", "outs[0]");
        assertRejected(ShapeException.class, source,
                () -> kernels.copyEach(stream, java.util.List.of(out.view(4, 4).slice(0, 0, 3)),
                        java.util.List.of(tensor(DType.BF16, 3, 4))), "copyEach", "dtype");
    }

    @Test
    void batchedMatmulWithSharedAndPerBatchRightOperand() {
        for (DType dtype : FLOATS) {
            Data a = random(dtype, 3, 4, 6);
            Data shared = random(dtype, 6, 5);
            Data perBatch = random(dtype, 3, 5, 6); // used transposed
            Tensor out = tensor(dtype, 3, 4, 5);
            kernels.matmul(stream, a.tensor(), shared.tensor(), out);
            float[] got = read(out);
            kernels.matmul(stream, a.tensor(), false, perBatch.tensor(), true, out);
            float[] gotPerBatch = read(out);
            for (int batch = 0; batch < 3; batch++) {
                float[] aBatch = Arrays.copyOfRange(a.values(), batch * 24, batch * 24 + 24);
                float[] bBatch = transposed(Arrays.copyOfRange(perBatch.values(), batch * 30, batch * 30 + 30), 5, 6);
                assertClose(Arrays.copyOfRange(got, batch * 20, batch * 20 + 20),
                        matmul(aBatch, shared.values(), 4, 6, 5), dtype, "shared b, batch " + batch);
                assertClose(Arrays.copyOfRange(gotPerBatch, batch * 20, batch * 20 + 20),
                        matmul(aBatch, bBatch, 4, 6, 5), dtype, "per-batch b, batch " + batch);
            }
        }
    }

    // ---- element-wise ----

    @Test
    void elementwiseArithmeticBroadcastsSuffixes() {
        for (DType dtype : FLOATS) {
            Data a = random(dtype, 2, 3, 4);
            for (long[] bShape : new long[][] {{2, 3, 4}, {3, 4}, {4}, {}}) {
                Data b = random(DType.F32, bShape);
                int bn = b.values().length;
                Tensor out = tensor(dtype, 2, 3, 4);
                double[] sum = new double[24];
                double[] product = new double[24];
                double[] residual = new double[24];
                double[] scaled = new double[24];
                for (int i = 0; i < 24; i++) {
                    float x = a.values()[i];
                    float y = b.values()[i % bn];
                    sum[i] = x + y;
                    product[i] = x * y;
                    residual[i] = x + 0.25 * y;
                    scaled[i] = x * -3.0;
                }
                String shape = dtype + " b " + Arrays.toString(bShape);
                kernels.add(stream, a.tensor(), b.tensor(), out);
                assertClose(read(out), sum, dtype, "add " + shape);
                kernels.mul(stream, a.tensor(), b.tensor(), out);
                assertClose(read(out), product, dtype, "mul " + shape);
                kernels.addScaled(stream, a.tensor(), b.tensor(), 0.25f, out);
                assertClose(read(out), residual, dtype, "addScaled " + shape);
                kernels.scale(stream, a.tensor(), -3f, out);
                assertClose(read(out), scaled, dtype, "scale " + shape);
            }
        }
    }

    @Test
    void elementwiseReadsTransposedInputsAndUpdatesInPlace() {
        Data a = random(DType.F32, 4, 3);
        Data b = random(DType.F16, 3, 4);
        Tensor out = tensor(DType.F32, 3, 4);
        kernels.add(stream, a.tensor().transpose(0, 1), b.tensor(), out);
        float[] at = transposed(a.values(), 4, 3);
        double[] expected = new double[12];
        for (int i = 0; i < 12; i++) {
            expected[i] = at[i] + b.values()[i];
        }
        assertClose(read(out), expected, DType.F32, "add of transposed view");

        Data residual = random(DType.BF16, 3, 4);
        kernels.addScaled(stream, residual.tensor(), out, 2f, residual.tensor());
        double[] updated = new double[12];
        for (int i = 0; i < 12; i++) {
            updated[i] = residual.values()[i] + 2.0 * (float) expected[i];
        }
        assertClose(read(residual.tensor()), updated, DType.BF16, "in-place addScaled");
    }

    @Test
    void activationsMatchTheirDefinitions() {
        for (DType dtype : FLOATS) {
            Data x = upload(dtype, randoms(200, 8f), 4, 50);
            Data up = random(dtype, 4, 50);
            Tensor out = tensor(dtype, 4, 50);
            double[] silu = new double[200];
            double[] sigmoid = new double[200];
            double[] swiglu = new double[200];
            for (int i = 0; i < 200; i++) {
                double v = x.values()[i];
                sigmoid[i] = 1 / (1 + Math.exp(-v));
                silu[i] = v * sigmoid[i];
                swiglu[i] = silu[i] * up.values()[i];
            }
            kernels.silu(stream, x.tensor(), out);
            assertClose(read(out), silu, dtype, "silu " + dtype);
            kernels.sigmoid(stream, x.tensor(), out);
            assertClose(read(out), sigmoid, dtype, "sigmoid " + dtype);
            kernels.swiglu(stream, x.tensor(), up.tensor(), out);
            assertClose(read(out), swiglu, dtype, "swiglu " + dtype);
            kernels.silu(stream, x.tensor(), x.tensor());
            assertClose(read(x.tensor()), silu, dtype, "silu in place " + dtype);
        }
    }

    @Test
    void swigluOfOneTensorGatesWithTheFirstHalfAlongDim() {
        long[] shape = {4, 2, 6};
        for (DType dtype : FLOATS) {
            Data x = upload(dtype, randoms(48, 6f), shape);
            for (int dim : new int[] {-1, 0, 1, 2, -3}) {
                int axis = dim < 0 ? dim + 3 : dim;
                long[] outShape = shape.clone();
                outShape[axis] /= 2;
                Tensor out = tensor(dtype, outShape);
                kernels.swiglu(stream, x.tensor(), dim, out);
                assertClose(read(out), swigluReference(x.values(), shape, axis), dtype, "swiglu dim " + dim + " " + dtype);
            }
        }
    }

    /** Plain reference: the first half along {@code axis} is the gate, the second half the up projection. */
    private static double[] swigluReference(float[] x, long[] shape, int axis) {
        int outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= (int) shape[d];
        }
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= (int) shape[d];
        }
        int half = (int) shape[axis] / 2;
        double[] r = new double[outer * half * inner];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < half; j++) {
                for (int i = 0; i < inner; i++) {
                    double gate = x[(o * 2 * half + j) * inner + i];
                    double up = x[(o * 2 * half + half + j) * inner + i];
                    r[(o * half + j) * inner + i] = gate / (1 + Math.exp(-gate)) * up;
                }
            }
        }
        return r;
    }

    @Test
    void swigluOfOneTensorRejectsBadSplits() {
        Tensor x = tensor(DType.F32, 4, 6);
        Tensor out = tensor(DType.F32, 4, 3);
        assertRejected(ShapeException.class, out,
                () -> kernels.swiglu(stream, tensor(DType.F32, 4, 5), -1, out), "swiglu", "odd", "[4, 5]");
        assertRejected(OutOfRangeException.class, out, () -> kernels.swiglu(stream, x, 2, out), "swiglu", "dim 2");
        assertRejected(OutOfRangeException.class, out, () -> kernels.swiglu(stream, x, -3, out), "swiglu", "dim -3");
        assertRejected(ShapeException.class, out, () -> kernels.swiglu(stream, x, 0, out), "swiglu", "out");
        Tensor half = tensor(DType.BF16, 4, 3);
        assertRejected(ShapeException.class, half, () -> kernels.swiglu(stream, x, -1, half), "swiglu", "out", "BF16");
    }

    // ---- normalization, softmax, rope ----

    @Test
    void rmsNormNormalizesEachRow() {
        for (DType dtype : FLOATS) {
            Data x = upload(dtype, randoms(3 * 2 * 16, 4f), 3, 2, 16);
            Data weight = random(DType.F32, 16);
            Tensor out = tensor(dtype, 3, 2, 16);
            kernels.rmsNorm(stream, x.tensor(), weight.tensor(), 1e-5f, out);
            double[] expected = new double[96];
            for (int r = 0; r < 6; r++) {
                double ss = 0;
                for (int j = 0; j < 16; j++) {
                    ss += x.values()[r * 16 + j] * x.values()[r * 16 + j];
                }
                double rms = Math.sqrt(ss / 16 + 1e-5);
                for (int j = 0; j < 16; j++) {
                    expected[r * 16 + j] = x.values()[r * 16 + j] / rms * weight.values()[j];
                }
            }
            assertClose(read(out), expected, dtype, "rmsNorm " + dtype);
        }
        Data big = random(DType.F32, 4, 10);
        Tensor window = big.tensor().slice(1, 3, 8); // [4, 5], row stride 10, offset 3
        Tensor out = tensor(DType.F32, 4, 5);
        kernels.rmsNorm(stream, window, upload(DType.F32, new float[] {1, 1, 1, 1, 1}, 5).tensor(), 0f, out);
        float[] got = read(out);
        for (int r = 0; r < 4; r++) {
            double ss = 0;
            for (int j = 0; j < 5; j++) {
                ss += got[r * 5 + j] * got[r * 5 + j];
            }
            assertThat(ss / 5).as("mean square of normalized row %d", r).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    /** Reference softmax of row-major rows of length k; row r is query r % q, which sees j <= query + offset. */
    private static double[] softmaxReference(float[] x, int k, int q, long offset) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / k; r++) {
            int visible = offset < 0 ? k : (int) Math.min(k, r % q + offset + 1);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < visible; j++) {
                max = Math.max(max, x[r * k + j]);
            }
            double sum = 0;
            for (int j = 0; j < visible; j++) {
                sum += Math.exp(x[r * k + j] - max);
            }
            for (int j = 0; j < visible; j++) {
                out[r * k + j] = Math.exp(x[r * k + j] - max) / sum;
            }
        }
        return out;
    }

    @Test
    void softmaxPlainAndCausal() {
        for (DType dtype : FLOATS) {
            Data x = upload(dtype, randoms(2 * 3 * 4 * 7, 5f), 2, 3, 4, 7);
            Tensor out = tensor(dtype, 2, 3, 4, 7);
            for (long offset : new long[] {-1, 0, 3, 100}) {
                kernels.softmax(stream, x.tensor(), out, offset);
                assertClose(read(out), softmaxReference(x.values(), 7, 4, offset), dtype,
                        "softmax " + dtype + " causalOffset " + offset);
            }
        }
        // Large logits must not overflow: only differences matter.
        Data large = upload(DType.F32, new float[] {1000, 999, 998, -1000}, 1, 4);
        Tensor out = tensor(DType.F32, 1, 4);
        kernels.softmax(stream, large.tensor(), out);
        assertClose(read(out), softmaxReference(large.values(), 4, 1, -1), DType.F32, "softmax of large logits");
        // Causal rows of a transposed (strided) input, and the default overload.
        Data scores = random(DType.F32, 5, 3);
        Tensor view = scores.tensor().transpose(0, 1); // [3, 5]
        Tensor causal = tensor(DType.F32, 3, 5);
        kernels.softmax(stream, view, causal, 5 - 3);
        assertClose(read(causal), softmaxReference(transposed(scores.values(), 5, 3), 5, 3, 2), DType.F32,
                "causal softmax of a transposed view");
    }

    @Test
    void ropeRotatesInterleavedPairs() {
        for (DType dtype : FLOATS) {
            for (DType positionType : new DType[] {DType.I32, DType.I64}) {
                for (long[] shape : new long[][] {{5, 8}, {5, 3, 8}}) {
                    int heads = shape.length == 3 ? (int) shape[1] : 1;
                    Data x = upload(dtype, randoms(5 * heads * 8, 2f), shape);
                    long[] pos = {0, 1, 7, 300, 4095};
                    Tensor positions = indices(positionType, pos);
                    float[] freq = new float[4];
                    for (int i = 0; i < 4; i++) {
                        freq[i] = (float) Math.pow(10000, -2.0 * i / 8);
                    }
                    Tensor frequencies = upload(DType.F32, freq, 4).tensor();
                    double[] expected = new double[x.values().length];
                    for (int t = 0; t < 5; t++) {
                        for (int h = 0; h < heads; h++) {
                            for (int i = 0; i < 4; i++) {
                                int at = (t * heads + h) * 8 + 2 * i;
                                double angle = (float) pos[t] * freq[i];
                                double x0 = x.values()[at];
                                double x1 = x.values()[at + 1];
                                expected[at] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                                expected[at + 1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
                            }
                        }
                    }
                    Tensor out = tensor(dtype, shape);
                    kernels.rope(stream, x.tensor(), positions, frequencies, out);
                    String what = "rope " + dtype + " " + positionType + " " + Arrays.toString(shape);
                    assertClose(read(out), expected, dtype, what);
                    kernels.rope(stream, x.tensor(), positions, frequencies, x.tensor());
                    assertClose(read(x.tensor()), expected, dtype, what + " in place");
                }
            }
        }
    }

    // ---- topk and indexing ----

    @Test
    void topkIsDescendingWithTiesToTheLowerIndex() {
        Data x = upload(DType.F32, new float[] {1, 5, 3, 5, 2, 5, 0, 0, 0, 0, 0, 0, -1, -2, -3, 4, -5, -6}, 3, 6);
        Tensor values = tensor(DType.F32, 3, 3);
        Tensor idx = tensor(DType.I64, 3, 3);
        kernels.topk(stream, x.tensor(), 3, values, idx);
        assertThat(readIndices(idx)).containsExactly(1, 3, 5, 0, 1, 2, 3, 0, 1);
        assertThat(read(values)).containsExactly(5, 5, 5, 0, 0, 0, 4, -1, -2);
        for (DType valueType : FLOATS) {
            Data rows = upload(valueType, randoms(4 * 40, 3f), 4, 40);
            for (int k : new int[] {1, 8, 40}) {
                Tensor v = tensor(valueType, 4, k);
                Tensor i = tensor(DType.I32, 4, k);
                kernels.topk(stream, rows.tensor(), k, v, i);
                long[] gotIndices = readIndices(i);
                float[] gotValues = read(v);
                for (int r = 0; r < 4; r++) {
                    Integer[] order = new Integer[40];
                    for (int j = 0; j < 40; j++) {
                        order[j] = j;
                    }
                    int row = r;
                    // Stable sort: equal values keep ascending index order.
                    Arrays.sort(order, (p, q) -> Float.compare(rows.values()[row * 40 + q], rows.values()[row * 40 + p]));
                    for (int j = 0; j < k; j++) {
                        assertThat(gotIndices[r * k + j]).as("topk %s k=%d row %d rank %d", valueType, k, r, j)
                                .isEqualTo(order[j].longValue());
                        assertThat(gotValues[r * k + j]).isEqualTo(rows.values()[r * 40 + order[j]]);
                    }
                }
            }
        }
    }

    @Test
    void indexSelectGathersRowsAndEmbeddingIsIndexSelect() {
        for (DType dtype : FLOATS) {
            for (DType indexType : new DType[] {DType.I32, DType.I64}) {
                Data table = random(dtype, 6, 2, 3);
                Tensor ids = indices(indexType, 5, 0, 5, 2);
                Tensor out = tensor(dtype, 4, 2, 3);
                kernels.indexSelect(stream, table.tensor(), ids, out);
                float[] expected = new float[24];
                long[] rows = {5, 0, 5, 2};
                for (int i = 0; i < 4; i++) {
                    System.arraycopy(table.values(), (int) rows[i] * 6, expected, i * 6, 6);
                }
                assertThat(read(out)).as("indexSelect %s %s", dtype, indexType).containsExactly(expected);
                Tensor embedded = tensor(dtype, 4, 2, 3);
                kernels.embedding(stream, table.tensor(), ids, embedded);
                assertThat(read(embedded)).containsExactly(expected);
            }
        }
        Data wide = random(DType.F32, 4, 6);
        Tensor columns = wide.tensor().slice(1, 1, 4); // rows of a strided view
        Tensor out = tensor(DType.F32, 2, 3);
        kernels.indexSelect(stream, columns, indices(DType.I32, 3, 1), out);
        float[] w = wide.values();
        assertThat(read(out)).containsExactly(w[19], w[20], w[21], w[7], w[8], w[9]);
    }

    @Test
    void indexAddAccumulatesRepeatedIndicesInAscendingOrder() {
        for (DType dtype : FLOATS) {
            for (DType indexType : new DType[] {DType.I32, DType.I64}) {
                Data target = random(dtype, 4, 3);
                Data source = random(DType.F32, 6, 3);
                long[] rows = {1, 3, 1, 1, 0, 3};
                kernels.indexAdd(stream, target.tensor(), indices(indexType, rows), source.tensor(), 0.5f);
                float[] expected = target.values().clone();
                for (int i = 0; i < rows.length; i++) {
                    for (int j = 0; j < 3; j++) {
                        int at = (int) rows[i] * 3 + j;
                        expected[at] = FloatFormats.roundTo(dtype, expected[at] + 0.5f * source.values()[i * 3 + j]);
                    }
                }
                assertClose(read(target.tensor()), toDoubles(expected), dtype, "indexAdd " + dtype + " " + indexType);
            }
        }
    }

    // ---- MoE gating ----

    @Test
    void moeGatingTopKMatchesAPlainReference() {
        Stream s = device.createStream("gating");
        int tokens = 6;
        int e = 16;
        Random random = new Random(11);
        float[] logits = new float[tokens * e];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        float[] bias = new float[e];
        for (int x = 0; x < e; x++) {
            bias[x] = (float) (random.nextGaussian() * 0.1);
        }
        Tensor tl = Tensor.allocate(device, s, DType.F32, tokens, e);
        Tensor tb = Tensor.allocate(device, s, DType.F32, e);
        s.upload(logits, tl);
        s.upload(bias, tb);
        MoeGating[] gatings = {MoeGating.noauxTc(4, 4, 2, true, 2.5f), MoeGating.softmax(3, 4, 2, false, 1f),
                MoeGating.softmax(6, 1, 1, false, 0.5f)};
        for (MoeGating g : gatings) {
            boolean withBias = g.norm() == MoeGating.Norm.SIGMOID;
            Tensor w = Tensor.allocate(device, s, DType.F32, tokens, g.k());
            Tensor ix = Tensor.allocate(device, s, DType.I32, tokens, g.k());
            kernels.moeGatingTopK(s, tl, withBias ? tb : null, g, w, ix);
            float[] gotW = s.readFloats(w);
            int[] gotI = new int[tokens * g.k()];
            s.download(ix, gotI);
            s.synchronize();
            for (int t = 0; t < tokens; t++) {
                float[] row = Arrays.copyOfRange(logits, t * e, (t + 1) * e);
                double[][] want = referenceGating(g, row, withBias ? bias : new float[e]);
                for (int j = 0; j < g.k(); j++) {
                    assertThat(gotI[t * g.k() + j]).as("%s token %d slot %d", g, t, j).isEqualTo((int) want[0][j]);
                    assertThat((double) gotW[t * g.k() + j]).as("%s token %d weight %d", g, t, j)
                            .isCloseTo(want[1][j], org.assertj.core.api.Assertions.within(1e-5));
                }
            }
        }
        Tensor w = Tensor.allocate(device, s, DType.F32, tokens, 4);
        Tensor ix = Tensor.allocate(device, s, DType.I32, tokens, 4);
        assertThatThrownBy(() -> kernels.moeGatingTopK(s, tl, tb, MoeGating.noauxTc(4, 3, 2, true, 1f), w, ix))
                .as("16 experts in 3 groups").isExactlyInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> kernels.moeGatingTopK(s, tl, tb, MoeGating.noauxTc(9, 4, 2, true, 1f),
                Tensor.allocate(device, s, DType.F32, tokens, 9), Tensor.allocate(device, s, DType.I32, tokens, 9)))
                .as("k above the kept experts").isExactlyInstanceOf(OutOfRangeException.class);
    }

    @Test
    void moeDispatchSortsAssignmentsByExpertStably() {
        Stream s = device.createStream("dispatch");
        int tokens = 5;
        int k = 3;
        int hidden = 4;
        int experts = 6;
        int[] ids = {5, 0, 2, 2, 5, 1, 0, 3, 2, 5, 4, 0, 1, 2, 3};
        float[] x = new float[tokens * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.5f - 3;
        }
        Tensor tx = Tensor.allocate(device, s, DType.F32, tokens, hidden);
        Tensor ti = Tensor.allocate(device, s, DType.I32, tokens, k);
        Tensor sorted = Tensor.allocate(device, s, DType.F32, tokens * k, hidden);
        Tensor rowOf = Tensor.allocate(device, s, DType.I32, tokens * k);
        Tensor counts = Tensor.allocate(device, s, DType.I32, experts);
        s.upload(x, tx);
        s.upload(ids, ti);
        kernels.moeDispatch(s, tx, ti, experts, sorted, rowOf, counts);
        int[] gotRows = new int[tokens * k];
        int[] gotCounts = new int[experts];
        s.download(rowOf, gotRows);
        s.download(counts, gotCounts);
        float[] gotSorted = s.readFloats(sorted);
        // reference: flat indices ordered by (expert, flat index)
        Integer[] order = new Integer[ids.length];
        for (int f = 0; f < ids.length; f++) {
            order[f] = f;
        }
        Arrays.sort(order, (a, b) -> ids[a] != ids[b] ? Integer.compare(ids[a], ids[b]) : Integer.compare(a, b));
        int[] wantCounts = new int[experts];
        for (int id : ids) {
            wantCounts[id]++;
        }
        assertThat(gotCounts).containsExactly(wantCounts);
        for (int row = 0; row < order.length; row++) {
            int f = order[row];
            assertThat(gotRows[f]).as("rowOf[%d]", f).isEqualTo(row);
            for (int c = 0; c < hidden; c++) {
                assertThat(gotSorted[row * hidden + c]).isEqualTo(x[(f / k) * hidden + c]);
            }
        }
        assertThatThrownBy(() -> kernels.moeDispatch(s, tx, ti, experts, sorted, rowOf,
                Tensor.allocate(device, s, DType.I32, experts + 1))).isExactlyInstanceOf(ShapeException.class);
    }

    /** {indices, weights} of one token, computed by sorting (independently of any backend's loops). */
    private static double[][] referenceGating(MoeGating g, float[] logits, float[] bias) {
        int e = logits.length;
        double[] scores = new double[e];
        if (g.norm() == MoeGating.Norm.SIGMOID) {
            for (int x = 0; x < e; x++) {
                scores[x] = 1 / (1 + Math.exp(-logits[x]));
            }
        } else {
            double sum = 0;
            for (int x = 0; x < e; x++) {
                sum += Math.exp(logits[x]);
            }
            for (int x = 0; x < e; x++) {
                scores[x] = Math.exp(logits[x]) / sum;
            }
        }
        double[] sel = new double[e];
        for (int x = 0; x < e; x++) {
            sel[x] = (float) scores[x] + bias[x];
        }
        int per = e / g.groups();
        Integer[] groupOrder = new Integer[g.groups()];
        double[] groupScore = new double[g.groups()];
        for (int grp = 0; grp < g.groups(); grp++) {
            double[] members = Arrays.copyOfRange(sel, grp * per, (grp + 1) * per);
            Arrays.sort(members);
            groupScore[grp] = g.groupScore() == MoeGating.GroupScore.MAX || per < 2 ? members[per - 1]
                    : members[per - 1] + members[per - 2];
            groupOrder[grp] = grp;
        }
        Arrays.sort(groupOrder, (a, b) -> groupScore[a] != groupScore[b] ? Double.compare(groupScore[b], groupScore[a]) : a - b);
        java.util.List<Integer> candidates = new java.util.ArrayList<>();
        for (int i = 0; i < g.keepGroups(); i++) {
            for (int x = groupOrder[i] * per; x < (groupOrder[i] + 1) * per; x++) {
                candidates.add(x);
            }
        }
        candidates.sort((a, b) -> sel[a] != sel[b] ? Double.compare(sel[b], sel[a]) : a - b);
        double[][] out = new double[2][g.k()];
        double sum = 0;
        for (int j = 0; j < g.k(); j++) {
            out[0][j] = candidates.get(j);
            out[1][j] = scores[candidates.get(j)];
            sum += out[1][j];
        }
        for (int j = 0; j < g.k(); j++) {
            out[1][j] = (g.renormalize() ? out[1][j] / (sum + 1e-20) : out[1][j]) * g.scaling();
        }
        return out;
    }

    @Test
    void indexOutOfRangeFailsTheStreamWhenTheWorkRuns() {
        Stream failing = device.createStream("failing");
        Tensor table = Tensor.allocate(device, failing, DType.F32, 3, 2);
        Tensor out = Tensor.allocate(device, failing, DType.F32, 2, 2);
        Tensor ids = Tensor.allocate(device, failing, DType.I64, 2);
        failing.upload(new long[] {0, 3}, ids);
        kernels.indexSelect(failing, table, ids, out); // the call itself cannot know the values
        assertThatThrownBy(failing::synchronize).isExactlyInstanceOf(StreamFailedException.class)
                .hasMessageContaining("indexSelect").hasCauseInstanceOf(deviceFaultType())
                .hasMessageContaining("3");
    }

    // ---- cast, copy, fill ----

    @Test
    void castsRoundTripAndRoundOnce() {
        float[] values = randoms(64, 100f);
        values[0] = Float.intBitsToFloat(0x3F808000); // a BF16 tie: rounds to even (1.0)
        values[1] = 1e-3f;
        Data source = upload(DType.F32, values, 8, 8);
        for (DType narrow : new DType[] {DType.BF16, DType.F16}) {
            Tensor n = tensor(narrow, 8, 8);
            Tensor back = tensor(DType.F32, 8, 8);
            kernels.cast(stream, source.tensor(), n);
            kernels.cast(stream, n, back);
            assertThat(read(back)).as("F32 -> %s -> F32", narrow).containsExactly(stored(narrow, values));
        }
        Tensor bf16 = tensor(DType.BF16, 8, 8);
        Tensor f16 = tensor(DType.F16, 8, 8);
        kernels.cast(stream, upload(DType.F16, values, 8, 8).tensor(), bf16);
        assertThat(read(bf16)).as("F16 -> BF16").containsExactly(stored(DType.BF16, stored(DType.F16, values)));
        kernels.cast(stream, source.tensor().transpose(0, 1), f16);
        assertThat(read(f16)).as("strided F32 -> F16").containsExactly(stored(DType.F16, transposed(values, 8, 8)));

        Tensor ints = indices(DType.I32, -7, 0, Integer.MAX_VALUE, Integer.MIN_VALUE);
        Tensor longs = tensor(DType.I64, 4);
        Tensor again = tensor(DType.I32, 4);
        kernels.cast(stream, ints, longs);
        kernels.cast(stream, longs, again);
        assertThat(readIndices(longs)).containsExactly(-7, 0, Integer.MAX_VALUE, Integer.MIN_VALUE);
        assertThat(readIndices(again)).containsExactly(-7, 0, Integer.MAX_VALUE, Integer.MIN_VALUE);
    }

    @Test
    void castOfAnI64ThatDoesNotFitI32FailsTheStream() {
        Stream failing = device.createStream("failing");
        Tensor longs = Tensor.allocate(device, failing, DType.I64, 2);
        Tensor ints = Tensor.allocate(device, failing, DType.I32, 2);
        failing.upload(new long[] {1, 1L << 35}, longs);
        kernels.cast(failing, longs, ints);
        assertThatThrownBy(failing::synchronize).isExactlyInstanceOf(StreamFailedException.class)
                .hasMessageContaining("cast").hasCauseInstanceOf(deviceFaultType());
    }

    @Test
    void copyMakesStridedViewsContiguous() {
        for (DType dtype : FLOATS) {
            Data source = random(dtype, 3, 4, 5);
            Tensor view = source.tensor().transpose(0, 2).slice(1, 1, 3); // [5, 2, 3]
            Tensor out = tensor(dtype, 5, 2, 3);
            kernels.copy(stream, view, out);
            float[] expected = new float[30];
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 2; j++) {
                    for (int l = 0; l < 3; l++) {
                        expected[(i * 2 + j) * 3 + l] = source.values()[(l * 4 + (j + 1)) * 5 + i];
                    }
                }
            }
            assertThat(read(out)).as("copy %s", dtype).containsExactly(expected);
        }
        Tensor ints = indices(DType.I64, 10, 11, 12, 13, 14, 15);
        Tensor picked = tensor(DType.I64, 3);
        kernels.copy(stream, Tensor.strided(ints.buffer(), DType.I64, 1, new long[] {3}, new long[] {2}), picked);
        assertThat(readIndices(picked)).containsExactly(11, 13, 15);
    }

    @Test
    void fillConvertsTheValueToTheDtype() {
        for (DType dtype : FLOATS) {
            Tensor t = tensor(dtype, 3, 5);
            kernels.fill(stream, t, 0.1);
            assertThat(read(t)).as("fill %s", dtype).containsOnly(FloatFormats.roundTo(dtype, 0.1f));
        }
        Tensor i32 = tensor(DType.I32, 4);
        Tensor i64 = tensor(DType.I64, 4);
        kernels.fill(stream, i32, -3);
        kernels.fill(stream, i64, 1L << 40);
        assertThat(readIndices(i32)).containsOnly(-3L);
        assertThat(readIndices(i64)).containsOnly(1L << 40);
        assertThatThrownBy(() -> kernels.fill(stream, i32, 0.5)).isExactlyInstanceOf(OutOfRangeException.class)
                .hasMessageContaining("fill");
    }

    // ---- determinism ----

    @Test
    void sameInputsGiveBitwiseSameOutputs() {
        Data a = random(DType.F32, 65, 300);
        Data w = random(DType.BF16, 130, 300);
        Tensor h = tensor(DType.F32, 65, 130);
        Tensor n = tensor(DType.F32, 65, 130);
        Tensor p = tensor(DType.F32, 65, 130);
        Data weight = random(DType.F32, 130);
        float[][] runs = new float[2][];
        for (int run = 0; run < 2; run++) {
            kernels.linear(stream, a.tensor(), w.tensor(), h);
            kernels.rmsNorm(stream, h, weight.tensor(), 1e-6f, n);
            kernels.softmax(stream, n, p, 65);
            runs[run] = read(p);
        }
        int[][] bits = new int[2][runs[0].length];
        for (int run = 0; run < 2; run++) {
            for (int i = 0; i < runs[run].length; i++) {
                bits[run][i] = Float.floatToRawIntBits(runs[run][i]);
            }
        }
        assertThat(bits[1]).containsExactly(bits[0]);
    }

    // ---- bad input ----

    @Test
    void badShapesAndDtypesAreRejectedBeforeEnqueueing() {
        Tensor a = tensor(DType.F32, 4, 8);
        Tensor b = tensor(DType.F32, 9, 3);
        Tensor out = tensor(DType.F32, 4, 3);
        assertRejected(ShapeException.class, out, () -> kernels.matmul(stream, a, b, out), "matmul", "[4, 8]", "[9, 3]", "k");
        assertRejected(ShapeException.class, out,
                () -> kernels.matmul(stream, tensor(DType.F32, 2, 4, 8), tensor(DType.F32, 3, 8, 3), tensor(DType.F32, 2, 4, 3)),
                "matmul", "batch");
        assertRejected(ShapeException.class, out,
                () -> kernels.matmul(stream, a, tensor(DType.F32, 8, 3), tensor(DType.F32, 4, 4)), "matmul", "out");
        assertRejected(ShapeException.class, out,
                () -> kernels.matmul(stream, tensor(DType.I32, 4, 8), tensor(DType.F32, 8, 3), out), "matmul", "a");
        assertRejected(ShapeException.class, a, () -> kernels.add(stream, a, tensor(DType.F32, 4), a), "add", "b", "[4]");
        assertRejected(ShapeException.class, a, () -> kernels.mul(stream, a, a, tensor(DType.F32, 8, 4)), "mul", "out");
        assertRejected(ShapeException.class, out,
                () -> kernels.scale(stream, out, 2f, tensor(DType.F32, 3, 4).transpose(0, 1)), "scale", "contiguous");
        assertRejected(ShapeException.class, a,
                () -> kernels.rmsNorm(stream, a, tensor(DType.F32, 4), 1e-6f, a), "rmsNorm", "weight", "[4]");
        assertRejected(ShapeException.class, a,
                () -> kernels.swiglu(stream, a, tensor(DType.F32, 4, 4), a), "swiglu", "up");
        assertRejected(ShapeException.class, a,
                () -> kernels.softmax(stream, a, tensor(DType.F32, 8, 4)), "softmax", "out");
        assertRejected(ShapeException.class, a, () -> kernels.rope(stream, a, tensor(DType.F32, 4),
                tensor(DType.F32, 4), a), "rope", "positions");
        assertRejected(ShapeException.class, a, () -> kernels.rope(stream, a, indices(DType.I32, 0, 1, 2, 3),
                tensor(DType.F32, 3), a), "rope", "frequencies", "[3]");
        Tensor values = tensor(DType.F32, 4, 2);
        assertRejected(OutOfRangeException.class, values,
                () -> kernels.topk(stream, a, 9, tensor(DType.F32, 4, 9), tensor(DType.I32, 4, 9)), "topk", "9");
        assertRejected(ShapeException.class, values,
                () -> kernels.topk(stream, a, 2, values, tensor(DType.F32, 4, 2)), "topk", "indices");
        assertRejected(ShapeException.class, a, () -> kernels.indexSelect(stream, tensor(DType.F32, 6, 8),
                tensor(DType.F32, 4), a), "indexSelect", "indices");
        assertRejected(ShapeException.class, a, () -> kernels.indexSelect(stream, tensor(DType.F32, 6, 7),
                indices(DType.I32, 0, 1, 2, 3), a), "indexSelect", "out");
        assertRejected(ShapeException.class, a, () -> kernels.indexAdd(stream, a, indices(DType.I64, 0, 1),
                tensor(DType.F32, 2, 7), 1f), "indexAdd", "source");
        assertRejected(ShapeException.class, a, () -> kernels.cast(stream, tensor(DType.I32, 4, 8), a), "cast");
        assertRejected(ShapeException.class, a, () -> kernels.copy(stream, tensor(DType.BF16, 4, 8), a), "copy", "dtype");
        assertRejected(ShapeException.class, a, () -> kernels.copy(stream, tensor(DType.F32, 8, 4), a), "copy", "[8, 4]");
        assertRejected(OutOfRangeException.class, a, () -> kernels.fill(stream, tensor(DType.I32, 2), 1e12), "fill");
        assertRejected(NullPointerException.class, a, () -> kernels.add(stream, a, null, a));
        assertThat(stream.isIdle()).isTrue();
    }

    @Test
    void tensorsOnAnotherDeviceAreRejected() {
        TandemRuntime two = runtime(2);
        Device d0 = two.device(0);
        Device d1 = two.device(1);
        Stream s0 = d0.createStream("s0");
        Stream s1 = d1.createStream("s1");
        Tensor local = Tensor.allocate(d0, s0, DType.F32, 2, 2);
        Tensor remote = Tensor.allocate(d1, s1, DType.F32, 2, 2);
        Kernels k0 = d0.kernels();
        assertThatThrownBy(() -> k0.add(s0, local, remote, local)).isExactlyInstanceOf(WrongDeviceException.class)
                .hasMessageContaining("add").hasMessageContaining("b");
        assertThatThrownBy(() -> k0.matmul(s0, local, local, remote)).isExactlyInstanceOf(WrongDeviceException.class)
                .hasMessageContaining("matmul").hasMessageContaining("out");
        assertThatThrownBy(() -> k0.fill(s1, local, 1)).isExactlyInstanceOf(WrongDeviceException.class)
                .hasMessageContaining("fill");
        s0.synchronize();
        s1.synchronize();
    }
}
