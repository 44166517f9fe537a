package dev.tandem.runtime.host;

import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Fused attention (see {@code Kernels.attention}): for each head and block of {@link #QUERY_BLOCK} queries, the
 * keys are visited in blocks of {@link #KEY_BLOCK} from key 0 up to the block's last visible key, with an online
 * softmax (running maximum, running sum, output rescaled when the maximum grows). No [n, len] score matrix exists:
 * a thread's scratch is a few blocks ({@code QUERY_BLOCK x KEY_BLOCK} scores plus the blocks of q, k and v), plus
 * the current head's keys and values ([len, d], read once for all its query blocks) while they stay under
 * {@link #HEAD_CACHE_FLOATS}.
 *
 * <p>Determinism: the block grid is anchored at query 0 and key 0 of the call and depends only on the shapes; the
 * block products use the Java GEMM (fixed summation order) and the softmax updates run in key-block order, so a
 * call gives bitwise the same result whatever the thread count. The q and rope parts of a score are one dot
 * product over the concatenated features.
 */
final class Attention {
    static final int QUERY_BLOCK = 64;
    static final int KEY_BLOCK = 256;
    /** Up to this many floats of one head's keys and values are read once and kept for all its query blocks. */
    static final long HEAD_CACHE_FLOATS = 1L << 22;

    private Attention() {
    }

    static void attention(KernelLauncher launcher, Tensor q, Tensor k, Tensor qRope, Tensor kRope, Tensor v,
                          float scale, long causalOffset, Tensor out) {
        attention(launcher, q, k, qRope, kRope, v, scale, causalOffset, out, HEAD_CACHE_FLOATS);
    }

    /** As above, caching a head's keys and values only up to {@code headCacheFloats} (tests use 0). */
    static void attention(KernelLauncher launcher, Tensor q, Tensor k, Tensor qRope, Tensor kRope, Tensor v,
                          float scale, long causalOffset, Tensor out, long headCacheFloats) {
        int heads = q.size(0);
        int n = q.size(1);
        int len = k.size(-2);
        int d = q.size(2);
        int dr = qRope == null ? 0 : qRope.size(2);
        int dv = v.size(-1);
        int queryBlocks = (n + QUERY_BLOCK - 1) / QUERY_BLOCK;
        if (n == 0 || heads == 0) {
            return;
        }
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        if (len == 0) {
            // no key to see: every row is zeros (and an empty per-head key tensor has no head to select)
            outAccess.writeFloats(0, new float[heads * n * dv], 0, heads * n * dv);
            return;
        }
        JavaGemm gemm = HostGemms.javaEngine();
        long work = (long) Math.min(n, QUERY_BLOCK) * Math.max(1, len) * (d + dr + dv);
        ParallelRanges.run(launcher, (long) heads * queryBlocks, work, (from, to) -> {
            Scratch scratch = new Scratch(Math.min(n, QUERY_BLOCK), Math.min(Math.max(len, 1), KEY_BLOCK), d + dr, dv);
            for (long item = from; item < to; item++) {
                int head = (int) (item / queryBlocks);
                int i0 = (int) (item % queryBlocks) * QUERY_BLOCK;
                int i1 = Math.min(n, i0 + QUERY_BLOCK);
                block(launcher, gemm, scratch, head, i0, i1, q, k, qRope, kRope, v, scale, causalOffset, len, d, dr, dv,
                        headCacheFloats);
                outAccess.writeFloats(((long) head * n + i0) * dv, scratch.out, 0, (i1 - i0) * dv);
            }
        });
    }

    /**
     * A decode step over a batch of sequences: query {@code b} of {@code q [h, B, d]} over sequence {@code b}'s keys,
     * unmasked, into {@code out[:, b, :]}. Each (sequence, head) is computed exactly as {@link #attention} computes
     * that sequence's single query on its own, so batching changes no bit of the result.
     */
    static void decode(KernelLauncher launcher, Tensor q, Tensor qRope, List<Tensor> keys, List<Tensor> kRopes,
                       List<Tensor> values, float scale, Tensor out) {
        int heads = q.size(0);
        int batch = q.size(1);
        if (batch == 0 || heads == 0) {
            return;
        }
        int d = q.size(2);
        int dr = qRope == null ? 0 : qRope.size(2);
        int dv = out.size(2);
        long longest = 1;
        for (Tensor k : keys) {
            longest = Math.max(longest, k.dim(-2));
        }
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        JavaGemm gemm = HostGemms.javaEngine();
        ParallelRanges.run(launcher, (long) batch * heads, longest * (d + dr + dv), (from, to) -> {
            Scratch scratch = null;
            int sequence = -1;
            for (long item = from; item < to; item++) {
                int b = (int) (item / heads);
                int head = (int) (item % heads);
                int len = keys.get(b).size(-2);
                if (len == 0) {
                    outAccess.writeFloats(((long) head * batch + b) * dv, new float[dv], 0, dv);
                    continue;
                }
                if (b != sequence) {
                    // a sequence's own scratch, as its own attention call would make it: its cached keys are its own
                    scratch = new Scratch(1, Math.min(Math.max(len, 1), KEY_BLOCK), d + dr, dv);
                    sequence = b;
                }
                block(launcher, gemm, scratch, head, 0, 1, q.slice(1, b, b + 1), keys.get(b),
                        qRope == null ? null : qRope.slice(1, b, b + 1), kRopes == null ? null : kRopes.get(b),
                        values.get(b), scale, -1, len, d, dr, dv, HEAD_CACHE_FLOATS);
                outAccess.writeFloats(((long) head * batch + b) * dv, scratch.out, 0, dv);
            }
        });
    }

    /** One thread's blocks: queries [rows, d+dr], keys [keys, d+dr], values [keys, dv], scores, output [rows, dv]. */
    private static final class Scratch {
        final float[] queries;
        final float[] keys;
        final float[] values;
        final float[] scores;
        final float[] acc;
        final float[] out;
        final float[] max;
        final float[] sum;
        /** The keys and values of head {@link #cachedHead} (all len rows), when they fit HEAD_CACHE_FLOATS. */
        float[] headKeys;
        float[] headValues;
        int cachedHead = -1;

        Scratch(int rows, int keyRows, int dk, int dv) {
            queries = new float[rows * dk];
            keys = new float[keyRows * dk];
            values = new float[keyRows * dv];
            scores = new float[rows * keyRows];
            acc = new float[rows * dv];
            out = new float[rows * dv];
            max = new float[rows];
            sum = new float[rows];
        }
    }

    private static void block(KernelLauncher launcher, JavaGemm gemm, Scratch s, int head, int i0, int i1, Tensor q,
                              Tensor k, Tensor qRope, Tensor kRope, Tensor v, float scale, long causalOffset, int len,
                              int d, int dr, int dv, long headCacheFloats) {
        int rows = i1 - i0;
        int dk = d + dr;
        readRows(launcher, q.select(0, head), qRope == null ? null : qRope.select(0, head), i0, i1, d, dr, s.queries);
        java.util.Arrays.fill(s.acc, 0, rows * dv, 0f);
        java.util.Arrays.fill(s.max, 0, rows, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(s.sum, 0, rows, 0f);
        long lastVisible = causalOffset < 0 ? len : Math.min(len, (long) (i1 - 1) + causalOffset + 1);
        Tensor kh = k.rank() == 3 ? k.select(0, head) : k;
        Tensor krh = kRope == null ? null : kRope.rank() == 3 ? kRope.select(0, head) : kRope;
        Tensor vh = v.rank() == 3 ? v.select(0, head) : v;
        // Keys and values shared by every head are cached once; per-head ones while the head's blocks last.
        boolean cache = (long) len * (dk + dv) <= headCacheFloats;
        int cacheKey = k.rank() == 2 && v.rank() == 2 && (kRope == null || kRope.rank() == 2) ? 0 : head;
        if (cache && s.cachedHead != cacheKey) {
            if (s.headKeys == null) {
                s.headKeys = new float[len * dk];
                s.headValues = new float[len * dv];
            }
            readRows(launcher, kh, krh, 0, len, d, dr, s.headKeys);
            TensorAccess.of(launcher, vh).readFloats(0, s.headValues, 0, len * dv);
            s.cachedHead = cacheKey;
        }
        for (int j0 = 0; j0 < lastVisible; j0 += KEY_BLOCK) {
            int j1 = (int) Math.min(lastVisible, j0 + KEY_BLOCK);
            int keys = j1 - j0;
            PanelReader keyPanel;
            PanelReader valuePanel;
            if (cache) {
                keyPanel = PanelReader.ofBt(s.headKeys, j0 * dk, keys, dk);
                valuePanel = PanelReader.ofB(s.headValues, j0 * dv, keys, dv);
            } else {
                readRows(launcher, kh, krh, j0, j1, d, dr, s.keys);
                TensorAccess.of(launcher, vh.slice(0, j0, j1)).readFloats(0, s.values, 0, keys * dv);
                keyPanel = PanelReader.ofBt(s.keys, 0, keys, dk);
                valuePanel = PanelReader.ofB(s.values, 0, keys, dv);
            }
            java.util.Arrays.fill(s.scores, 0, rows * keys, 0f);
            gemm.multiply(INLINE, s.queries, keyPanel, s.scores, rows, keys, dk);
            for (int r = 0; r < rows; r++) {
                long visible = causalOffset < 0 ? keys : Math.min(keys, (long) (i0 + r) + causalOffset + 1 - j0);
                softmaxUpdate(s, r, keys, (int) Math.max(0, visible), scale, dv);
            }
            gemm.multiply(INLINE, s.scores, valuePanel, s.acc, rows, dv, keys);
        }
        for (int r = 0; r < rows; r++) {
            float l = s.sum[r];
            for (int c = 0; c < dv; c++) {
                s.out[r * dv + c] = l > 0 ? s.acc[r * dv + c] / l : 0f;
            }
        }
    }

    /**
     * Row r of a key block: scale the scores, fold the visible ones into the running maximum and sum, turn them
     * into probabilities (masked ones into 0) and rescale the row's output so far to the new maximum.
     */
    private static void softmaxUpdate(Scratch s, int r, int keys, int visible, float scale, int dv) {
        int base = r * keys;
        float blockMax = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            float x = s.scores[base + j] * scale;
            s.scores[base + j] = x;
            blockMax = Math.max(blockMax, x);
        }
        float previous = s.max[r];
        float next = Math.max(previous, blockMax);
        if (next == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(s.scores, base, base + keys, 0f); // nothing visible (or only -inf) so far
            return;
        }
        float correction = previous == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(previous - next);
        float blockSum = 0f;
        for (int j = 0; j < visible; j++) {
            float p = (float) Math.exp(s.scores[base + j] - next);
            s.scores[base + j] = p;
            blockSum += p;
        }
        java.util.Arrays.fill(s.scores, base + visible, base + keys, 0f);
        s.sum[r] = s.sum[r] * correction + blockSum;
        s.max[r] = next;
        if (correction != 1f) {
            for (int c = 0; c < dv; c++) {
                s.acc[r * dv + c] *= correction;
            }
        }
    }

    /** Rows [r0, r1) of a [*, d] view and of its optional [*, dr] rope view, concatenated per row into dst. */
    private static void readRows(KernelLauncher launcher, Tensor main, Tensor rope, int r0, int r1, int d, int dr,
                                 float[] dst) {
        int dk = d + dr;
        TensorAccess a = TensorAccess.of(launcher, main.slice(0, r0, r1));
        TensorAccess b = rope == null ? null : TensorAccess.of(launcher, rope.slice(0, r0, r1));
        for (int r = 0; r < r1 - r0; r++) {
            a.readFloats((long) r * d, dst, r * dk, d);
            if (b != null) {
                b.readFloats((long) r * dr, dst, r * dk + d, dr);
            }
        }
    }

    /**
     * Runs a kernel's inner products on the calling thread (attention already splits over heads and blocks). The
     * products only use {@link KernelLauncher#parallelFor}: they are called from inside the attention kernel's own
     * launched work, on arrays it has read already, so enqueuing or reaching a buffer from them would be a bug.
     */
    private static final KernelLauncher INLINE = new KernelLauncher() {
        @Override
        public void launch(Stream stream, String name, List<Tensor> reads, List<Tensor> writes, Runnable work) {
            throw new IllegalStateException("attention's inner products must not enqueue work (" + name + ")");
        }

        @Override
        public MemorySegment segment(DeviceBuffer buffer) {
            throw new IllegalStateException("attention's inner products work on arrays already read, not on device buffers");
        }

        @Override
        public int computeThreads() {
            return 1;
        }

        @Override
        public void parallelFor(int count, IntConsumer task) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
        }
    };
}
