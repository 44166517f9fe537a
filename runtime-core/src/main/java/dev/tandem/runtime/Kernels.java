package dev.tandem.runtime;

import java.util.List;

/**
 * The device operations a DeepSeek decoder layer needs. Every method validates shapes, dtypes, devices and
 * aliasing <em>before</em> it enqueues anything (throwing {@link ShapeException}, {@link WrongDeviceException}
 * or {@link OutOfRangeException}), then enqueues the work on {@code stream} and returns at once.
 *
 * <p>Floating inputs may be F32, BF16 or F16; arithmetic is done in F32 and rounded once when stored.
 * Unless a method says otherwise, inputs may be strided views, outputs must be contiguous, and an output
 * may alias an input only when shapes are equal (element-wise methods). Results are deterministic: the same
 * inputs give bitwise the same outputs, whatever the thread count.
 */
public interface Kernels {

    /**
     * {@code out = op(a) x op(b)} with F32 accumulation, where op transposes the last two axes when its flag is
     * set. Rank 2: {@code [m,k] x [k,n] -> [m,n]}. Rank 3: batched {@code [b,m,k] x [b,k,n] -> [b,m,n]};
     * {@code b} may also be rank 2 and is then shared by every batch.
     *
     * @param stream     the stream to enqueue on
     * @param a          the left operand
     * @param transposeA whether to transpose the last two axes of {@code a}
     * @param b          the right operand
     * @param transposeB whether to transpose the last two axes of {@code b}
     * @param out        receives the product
     */
    void matmul(Stream stream, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out);

    /**
     * {@code out = a x b}; shorthand for {@link #matmul(Stream, Tensor, boolean, Tensor, boolean, Tensor)}.
     *
     * @param stream the stream to enqueue on
     * @param a      the left operand
     * @param b      the right operand
     * @param out    receives the product
     */
    default void matmul(Stream stream, Tensor a, Tensor b, Tensor out) {
        matmul(stream, a, false, b, false, out);
    }

    /**
     * {@code out = x W^T}: a linear layer with a weight stored as {@code [out_features, in_features]}.
     *
     * @param stream the stream to enqueue on
     * @param x      the input, {@code [..., in_features]}
     * @param weight the weight, {@code [out_features, in_features]}
     * @param out    receives the output, {@code [..., out_features]}
     */
    default void linear(Stream stream, Tensor x, Tensor weight, Tensor out) {
        matmul(stream, x, false, weight, true, out);
    }

    /**
     * {@code out = a + b}; {@code b} has {@code a}'s shape or a suffix of it (broadcast over leading axes).
     *
     * @param stream the stream to enqueue on
     * @param a      the first operand
     * @param b      the second operand, broadcast over leading axes
     * @param out    receives the sum, {@code a}'s shape
     */
    void add(Stream stream, Tensor a, Tensor b, Tensor out);

    /**
     * {@code out = a * b}; broadcasting as in {@link #add}.
     *
     * @param stream the stream to enqueue on
     * @param a      the first operand
     * @param b      the second operand, broadcast over leading axes
     * @param out    receives the product, {@code a}'s shape
     */
    void mul(Stream stream, Tensor a, Tensor b, Tensor out);

    /**
     * {@code out = a * alpha}.
     *
     * @param stream the stream to enqueue on
     * @param a      the input
     * @param alpha  the factor
     * @param out    receives the result, {@code a}'s shape
     */
    void scale(Stream stream, Tensor a, float alpha, Tensor out);

    /**
     * {@code out = a + alpha * b} (the residual update); broadcasting as in {@link #add}.
     *
     * @param stream the stream to enqueue on
     * @param a      the first operand
     * @param b      the scaled operand, broadcast over leading axes
     * @param alpha  the factor applied to {@code b}
     * @param out    receives the result, {@code a}'s shape
     */
    void addScaled(Stream stream, Tensor a, Tensor b, float alpha, Tensor out);

    /**
     * RMSNorm over the last axis: {@code out = x / sqrt(mean(x^2) + eps) * weight}.
     *
     * @param stream the stream to enqueue on
     * @param x      the input
     * @param weight the per-feature gain, as long as {@code x}'s last axis
     * @param eps    added to the mean square for stability
     * @param out    receives the result, {@code x}'s shape
     */
    void rmsNorm(Stream stream, Tensor x, Tensor weight, float eps, Tensor out);

    /**
     * {@code out = x * sigmoid(x)}.
     *
     * @param stream the stream to enqueue on
     * @param x      the input
     * @param out    receives the result, {@code x}'s shape
     */
    void silu(Stream stream, Tensor x, Tensor out);

    /**
     * SwiGLU: {@code out = silu(gate) * up}.
     *
     * @param stream the stream to enqueue on
     * @param gate   the gate projection
     * @param up     the up projection, {@code gate}'s shape
     * @param out    receives the result, {@code gate}'s shape
     */
    void swiglu(Stream stream, Tensor gate, Tensor up, Tensor out);

    /**
     * SwiGLU of one tensor holding both halves, as {@code aclnnSwiGlu} computes it: {@code x} is split in two equal
     * halves along {@code dim} (negative counts from the last axis); the first half is the gate, the second the
     * up projection, and {@code out = silu(first) * second}. {@code x} needs rank at least 1 and an even size
     * along {@code dim}; {@code out} has {@code x}'s dtype and shape with that axis halved, and is contiguous.
     *
     * @param stream the stream to enqueue on
     * @param x      both halves, gate first
     * @param dim    the axis split in two; negative counts from the last
     * @param out    receives the result
     */
    void swiglu(Stream stream, Tensor x, int dim, Tensor out);

    /**
     * {@code out = 1 / (1 + exp(-x))}.
     *
     * @param stream the stream to enqueue on
     * @param x      the input
     * @param out    receives the result, {@code x}'s shape
     */
    void sigmoid(Stream stream, Tensor x, Tensor out);

    /**
     * Softmax over the last axis.
     *
     * @param stream the stream to enqueue on
     * @param x      the input
     * @param out    receives the probabilities, {@code x}'s shape
     */
    default void softmax(Stream stream, Tensor x, Tensor out) {
        softmax(stream, x, out, -1);
    }

    /**
     * Softmax over the last axis, optionally causal. With {@code causalOffset >= 0}, {@code x} is
     * {@code [..., q, k]} and query row {@code i} sees key columns {@code j <= i + causalOffset} only (masked
     * columns become 0); use {@code k - q} for queries that are the last {@code q} positions of the sequence.
     * A negative offset means no mask. A row with no visible entry (or only negative infinities) becomes zeros.
     *
     * @param stream       the stream to enqueue on
     * @param x            the input
     * @param out          receives the probabilities, {@code x}'s shape
     * @param causalOffset the causal mask's offset, or negative for none
     */
    void softmax(Stream stream, Tensor x, Tensor out, long causalOffset);

    /**
     * Causal (or unmasked) attention of one request's queries over its keys, as MLA needs it:
     * {@code s[h,i,j] = scale * (q[h,i,:] . k[h,j,:] + qRope[h,i,:] . kRope[h,j,:])}, masked as in
     * {@link #softmax(Stream, Tensor, Tensor, long)} with {@code causalOffset} (query i sees keys
     * {@code j <= i + causalOffset}; negative: no mask), {@code p = softmax_j(s)}, {@code out[h,i,:] = sum_j p v[h,j,:]}.
     * {@code q [h, n, d]}, {@code qRope [h, n, dr]}, {@code out [h, n, dv]} (contiguous); {@code k [h, len, d]},
     * {@code kRope [h, len, dr]} and {@code v [h, len, dv]} may each be rank 2 ({@code [len, ...]}) and are then
     * shared by every head. {@code qRope} and {@code kRope} are both null or both given. A query row with no visible
     * key gives zeros.
     *
     * <p>This default composes matmul, add, scale, softmax and matmul through an {@code [h, n, len]} score tensor
     * on the stream; backends may fuse it (the host backend never holds a score matrix per head).
     *
     * @param stream       the stream to enqueue on
     * @param q            the queries, {@code [h, n, d]}
     * @param k            the keys, {@code [h, len, d]} or {@code [len, d]}
     * @param qRope        the queries' rotary part, {@code [h, n, dr]}, or null
     * @param kRope        the keys' rotary part, {@code [h, len, dr]} or {@code [len, dr]}, or null
     * @param v            the values, {@code [h, len, dv]} or {@code [len, dv]}
     * @param scale        factor applied to the scores before the softmax
     * @param causalOffset query i sees keys {@code j <= i + causalOffset}; negative for no mask
     * @param out          receives the output, {@code [h, n, dv]}
     */
    default void attention(Stream stream, Tensor q, Tensor k, Tensor qRope, Tensor kRope, Tensor v, float scale,
                           long causalOffset, Tensor out) {
        long h = q.dim(0);
        long n = q.dim(1);
        long len = k.dim(-2);
        Device device = stream.device();
        Tensor scores = Tensor.allocate(device, stream, DType.F32, h, n, len);
        Tensor rope = qRope == null ? null : Tensor.allocate(device, stream, DType.F32, h, n, len);
        Tensor p = Tensor.allocate(device, stream, DType.F32, h, n, len);
        try {
            matmul(stream, q, false, k, true, scores);
            if (rope != null) {
                matmul(stream, qRope, false, kRope, true, rope);
                add(stream, scores, rope, scores);
            }
            scale(stream, scores, scale, scores);
            softmax(stream, scores, p, causalOffset);
            matmul(stream, p, false, v, false, out);
        } finally {
            scores.buffer().close();
            p.buffer().close();
            if (rope != null) {
                rope.buffer().close();
            }
        }
    }

    /**
     * {@link #attention(Stream, Tensor, Tensor, Tensor, Tensor, Tensor, float, long, Tensor)} without rope parts.
     *
     * @param stream       the stream to enqueue on
     * @param q            the queries, {@code [h, n, d]}
     * @param k            the keys, {@code [h, len, d]} or {@code [len, d]}
     * @param v            the values, {@code [h, len, dv]} or {@code [len, dv]}
     * @param scale        factor applied to the scores before the softmax
     * @param causalOffset query i sees keys {@code j <= i + causalOffset}; negative for no mask
     * @param out          receives the output, {@code [h, n, dv]}
     */
    default void attention(Stream stream, Tensor q, Tensor k, Tensor v, float scale, long causalOffset, Tensor out) {
        attention(stream, q, k, null, null, v, scale, causalOffset, out);
    }

    /**
     * A decode step's attention for a batch of sequences in one operation: query {@code b} (one token per sequence)
     * attends to every one of its own sequence's keys, as
     * {@link #attention(Stream, Tensor, Tensor, Tensor, Tensor, Tensor, float, long, Tensor)} does for
     * {@code q[:, b:b+1, :]} over {@code keys[b]}, {@code kRopes[b]} and {@code values[b]} without a mask, and writes
     * {@code out[:, b, :]}. {@code q [h, B, d]} and {@code qRope [h, B, dr]} may be strided views; {@code out
     * [h, B, dv]} is contiguous. Each sequence's keys are {@code [len_b, d]} (or {@code [h, len_b, d]}), its rope keys
     * {@code [len_b, dr]} (or {@code [h, len_b, dr]}), its values {@code [len_b, dv]} (or {@code [h, len_b, dv]}):
     * lengths differ between sequences, which is why they come as lists (one KV cache per sequence). A sequence
     * without keys gives zeros. {@code qRope} and {@code kRopes} are both null or both given.
     *
     * <p>Serving stacks issue one such kernel per layer for all decoding sequences instead of one attention per
     * sequence: a decode step of many short requests is otherwise bound by the host issuing operations. This
     * default issues the per-sequence attentions (and one copy into {@code out}); backends may fuse them (the host
     * backend runs them as one operation).
     *
     * @param stream the stream to enqueue on
     * @param q      the queries, {@code [h, B, d]}: one per sequence
     * @param qRope  the queries' rotary part, {@code [h, B, dr]}, or null
     * @param keys   each sequence's keys
     * @param kRopes each sequence's rotary keys, or null
     * @param values each sequence's values
     * @param scale  factor applied to the scores before the softmax
     * @param out    receives the output, {@code [h, B, dv]}
     */
    default void decodeAttention(Stream stream, Tensor q, Tensor qRope, List<Tensor> keys,
                                 List<Tensor> kRopes, List<Tensor> values, float scale,
                                 Tensor out) {
        int batch = Math.toIntExact(q.dim(1));
        if (batch == 0) {
            return;
        }
        long h = q.dim(0);
        long dv = out.dim(2);
        // per-sequence outputs must be contiguous: [B, h, 1, dv], then one copy of its [h, B, dv] view into out
        Tensor each = Tensor.allocate(out.device(), stream, out.dtype(), batch, h, 1, dv);
        try {
            for (int b = 0; b < batch; b++) {
                attention(stream, q.slice(1, b, b + 1), keys.get(b), qRope == null ? null : qRope.slice(1, b, b + 1),
                        kRopes == null ? null : kRopes.get(b), values.get(b), scale, -1, each.select(0, b));
            }
            copy(stream, each.view(batch, h, dv).transpose(0, 1), out);
        } finally {
            each.buffer().close();
        }
    }

    /**
     * Copies {@code sources.get(i)} into {@code outs.get(i)} for every {@code i}, in list order, as one operation:
     * each pair as {@link #copy(Stream, Tensor, Tensor)} takes it. A decode step appends each sequence's new key to
     * its own cache with it. This default issues the copies one by one; backends may fuse them (the host backend
     * runs them as one operation).
     *
     * @param stream  the stream to enqueue on
     * @param sources the inputs, possibly strided
     * @param outs    the contiguous outputs, one per input, each of its input's shape and dtype
     */
    default void copyEach(Stream stream, List<Tensor> sources, List<Tensor> outs) {
        for (int i = 0; i < sources.size(); i++) {
            copy(stream, sources.get(i), outs.get(i));
        }
    }

    /**
     * Rotary position embedding on interleaved pairs {@code (x[2i], x[2i+1])} of the last axis:
     * the pair is rotated by angle {@code positions[t] * frequencies[i]}. {@code x} is {@code [t, d]} or
     * {@code [t, h, d]}; {@code positions} is I32/I64 {@code [t]}; {@code frequencies} is F32 {@code [d/2]}.
     *
     * @param stream      the stream to enqueue on
     * @param x           the input
     * @param positions   the position of each token
     * @param frequencies the rotation frequency of each pair
     * @param out         receives the result, {@code x}'s shape
     */
    void rope(Stream stream, Tensor x, Tensor positions, Tensor frequencies, Tensor out);

    /**
     * The {@code k} largest entries of each row of {@code x [n, m]}, in descending order; ties go to the lower
     * index and NaN ranks below every number. {@code values [n, k]} is floating, {@code indices [n, k]} is I32 or I64.
     *
     * @param stream the stream to enqueue on
     * @param x       the input, {@code [n, m]}
     * @param k       entries kept per row
     * @param values  receives the entries
     * @param indices receives their column indices
     */
    void topk(Stream stream, Tensor x, int k, Tensor values, Tensor indices);

    /**
     * MoE gating (the router's expert selection, on the device): for each row of {@code logits} {@code [tokens, E]}
     * (F32/BF16/F16), {@code scores} = softmax or sigmoid of the logits ({@link MoeGating#norm}); selection scores =
     * scores + {@code bias} (F32 {@code [E]}, or null); the experts form {@code groups} consecutive groups, each scored
     * by {@link MoeGating#groupScore} of its selection scores; the {@code keepGroups} best groups are kept (ties to the
     * lower group); {@code indices} (I32 {@code [tokens, k]}) are the {@code k} experts of the kept groups with the
     * largest selection scores, largest first (ties to the lower expert); {@code weights} ({@code [tokens, k]}, the
     * logits' dtype) are their unbiased scores, divided by their sum + 1e-20 when {@link MoeGating#renormalize}, times
     * {@link MoeGating#scaling}. Only {@code [tokens, k]} values leave the device for expert dispatch, not the
     * {@code [tokens, E]} scores. A backend whose library does not offer a combination throws before enqueueing.
     *
     * @param stream the stream to enqueue on
     * @param logits  the router logits
     * @param bias    the selection bias, or null
     * @param gating  how experts are selected
     * @param weights receives the routing weights
     * @param indices receives the selected experts
     */
    void moeGatingTopK(Stream stream, Tensor logits, Tensor bias, MoeGating gating, Tensor weights, Tensor indices);

    /**
     * MoE dispatch order on the device: sorts the {@code tokens * k} assignments of {@code expertIdx} (I32
     * {@code [tokens, k]}, values in {@code [0, numExperts)}; others fail the stream) by expert, stably in flat index
     * order {@code t * k + j}. Row {@code i} of {@code sortedRows} ({@code [tokens * k, hidden]}, x's dtype) is the
     * row of {@code x} ({@code [tokens, hidden]}) of the i-th sorted assignment; {@code rowOf} (I32
     * {@code [tokens * k]}) maps assignment {@code t * k + j} to its row in {@code sortedRows}; {@code counts} (I32
     * {@code [numExperts]}) holds the assignments per expert. So an expert-parallel layer needs only {@code counts} on
     * the host (for the all-to-all-v splits), never the routing itself.
     *
     * @param stream     the stream to enqueue on
     * @param x          the token rows
     * @param expertIdx  the experts of each token
     * @param numExperts the number of experts
     * @param sortedRows receives the rows in expert order
     * @param rowOf      receives each assignment's row in {@code sortedRows}
     * @param counts     receives the assignments per expert
     */
    void moeDispatch(Stream stream, Tensor x, Tensor expertIdx, int numExperts, Tensor sortedRows, Tensor rowOf,
                     Tensor counts);

    /**
     * Gathers rows: {@code out[i] = source[indices[i]]} for {@code source [n, ...]}, {@code indices [m]}.
     *
     * @param stream the stream to enqueue on
     * @param source  the rows gathered from
     * @param indices I32 or I64 row indices, each within {@code source}
     * @param out     receives the rows, {@code [m, ...]}
     */
    void indexSelect(Stream stream, Tensor source, Tensor indices, Tensor out);

    /**
     * Scatter-add of rows: {@code target[indices[i]] += alpha * source[i]} for i in ascending order (so the
     * result is deterministic even with repeated indices). {@code target} is updated in place and may be strided.
     *
     * @param stream the stream to enqueue on
     * @param target  the rows added into
     * @param indices I32 or I64 row indices into {@code target}
     * @param source  the rows added
     * @param alpha   factor applied to {@code source}
     */
    void indexAdd(Stream stream, Tensor target, Tensor indices, Tensor source, float alpha);

    /**
     * Converts between dtypes (float to float with round-to-nearest-even, index to index, exact).
     *
     * @param stream the stream to enqueue on
     * @param source the input
     * @param out    receives the converted values, {@code source}'s shape
     */
    void cast(Stream stream, Tensor source, Tensor out);

    /**
     * Copies any (strided) view into a contiguous tensor of the same shape and dtype.
     *
     * @param stream the stream to enqueue on
     * @param source the input, possibly strided
     * @param out    receives the copy
     */
    void copy(Stream stream, Tensor source, Tensor out);

    /**
     * Sets every element of {@code out} to {@code value}: rounded to F32, then to the storage format, for float
     * dtypes; integer dtypes need a whole number in range (0 or 1 for BOOL).
     *
     * @param stream the stream to enqueue on
     * @param out    the tensor filled
     * @param value  the value
     */
    void fill(Stream stream, Tensor out, double value);

    /**
     * Embedding lookup: {@code out[i] = table[ids[i]]}; ids are I32 or I64 and must be within the table.
     *
     * @param stream the stream to enqueue on
     * @param table  the embedding table, {@code [vocab, hidden]}
     * @param ids    the token ids
     * @param out    receives the embeddings, one row per id
     */
    default void embedding(Stream stream, Tensor table, Tensor ids, Tensor out) {
        indexSelect(stream, table, ids, out);
    }
}
