package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/**
 * Element-wise arithmetic and activations, processed in chunks of flat elements: each chunk of the inputs is
 * read into {@code float[]}, computed in F32 (transcendentals in double through {@link StrictMath}, so results are
 * the same on every platform) and rounded once when stored. A second operand whose shape is a suffix of the first
 * is broadcast by wrapping its flat index.
 */
final class Elementwise {
    private static final int CHUNK = 4096;

    private Elementwise() {
    }

    /** The operations; binary ones use a second operand, scaling ones use {@code alpha}. */
    enum Op {
        ADD, MUL, ADD_SCALED, SWIGLU, SCALE, SILU, SIGMOID;

        boolean binary() {
            return this == ADD || this == MUL || this == ADD_SCALED || this == SWIGLU;
        }
    }

    /** {@code out = op(a, b)} for validated tensors; {@code b} is null for unary operations. */
    static void apply(KernelLauncher launcher, Op op, Tensor a, Tensor b, float alpha, Tensor out) {
        TensorAccess aAccess = TensorAccess.of(launcher, a);
        TensorAccess bAccess = b == null ? null : TensorAccess.of(launcher, b);
        TensorAccess outAccess = TensorAccess.of(launcher, out);
        long n = a.numel();
        long chunks = (n + CHUNK - 1) / CHUNK;
        ParallelRanges.run(launcher, chunks, CHUNK, (from, to) -> {
            float[] x = KernelScratch.floats(KernelScratch.Use.CHUNK_X, CHUNK);
            float[] y = op.binary() ? KernelScratch.floats(KernelScratch.Use.CHUNK_Y, CHUNK) : null;
            float[] result = KernelScratch.floats(KernelScratch.Use.CHUNK_RESULT, CHUNK);
            for (long chunk = from; chunk < to; chunk++) {
                long start = chunk * CHUNK;
                int count = (int) Math.min(CHUNK, n - start);
                aAccess.readFloats(start, x, 0, count);
                if (y != null) {
                    readWrapped(bAccess, start, y, count);
                }
                compute(op, x, y, alpha, result, count);
                outAccess.writeFloats(start, result, 0, count);
            }
        });
    }

    /** Reads {@code count} elements of {@code b} at flat positions {@code (start + i) mod numel}. */
    private static void readWrapped(TensorAccess b, long start, float[] dst, int count) {
        long size = b.numel();
        int done = 0;
        while (done < count) {
            long position = (start + done) % size;
            int n = (int) Math.min(count - done, size - position);
            b.readFloats(position, dst, done, n);
            done += n;
        }
    }

    private static void compute(Op op, float[] x, float[] y, float alpha, float[] out, int count) {
        switch (op) {
            case ADD -> {
                for (int i = 0; i < count; i++) {
                    out[i] = x[i] + y[i];
                }
            }
            case MUL -> {
                for (int i = 0; i < count; i++) {
                    out[i] = x[i] * y[i];
                }
            }
            case ADD_SCALED -> {
                for (int i = 0; i < count; i++) {
                    out[i] = x[i] + alpha * y[i];
                }
            }
            case SCALE -> {
                for (int i = 0; i < count; i++) {
                    out[i] = x[i] * alpha;
                }
            }
            case SILU -> {
                for (int i = 0; i < count; i++) {
                    out[i] = silu(x[i]);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < count; i++) {
                    out[i] = (float) sigmoid(x[i]);
                }
            }
            case SWIGLU -> {
                for (int i = 0; i < count; i++) {
                    out[i] = silu(x[i]) * y[i];
                }
            }
        }
    }

    static double sigmoid(float x) {
        return 1.0 / (1.0 + StrictMath.exp(-(double) x));
    }

    static float silu(float x) {
        return (float) (x * sigmoid(x));
    }
}
