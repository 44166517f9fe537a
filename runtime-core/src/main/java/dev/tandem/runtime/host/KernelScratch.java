package dev.tandem.runtime.host;

/**
 * Float arrays a kernel reuses on the thread it runs on, one per {@link Use}. Kernels run on compute threads the
 * backend owns; before this, a forward's GEMMs packed their operands into hundreds of megabytes of fresh arrays,
 * which cost a young collection (every thread stopped) about once per forward and cold memory on every call.
 * Arrays above {@link #MAX_KEPT} floats are allocated per call and not kept, so a thread holds at most 16 MiB per
 * use, until it ends with its device.
 */
final class KernelScratch {
    /** What an array is for: two uses never share an array, so a kernel may hold one while calling another. */
    enum Use {
        /** a GEMM's left operand packed row-major ({@link Gemm#pack}). */
        PACKED,
        /** a column-major operand read in storage order before its transpose ({@link Gemm#pack}). */
        STORED,
        /** the vector GEMM's a in panels of MR interleaved rows. */
        PANELS_A,
        /** a GEMM's product before it is written out. */
        PRODUCT,
        /** the vector GEMM's micro-panels of b. */
        PANELS_B,
        /** one row or column of b while it is repacked. */
        LINE,
        /** the vector GEMM's edge tile. */
        TILE,
        /** an element-wise kernel's chunk of its first operand. */
        CHUNK_X,
        /** an element-wise kernel's chunk of its second operand. */
        CHUNK_Y,
        /** an element-wise kernel's chunk of results. */
        CHUNK_RESULT
    }

    /** The largest array kept for reuse: 16 MiB. */
    static final int MAX_KEPT = 1 << 22;

    private static final ThreadLocal<float[][]> ARRAYS =
            ThreadLocal.withInitial(() -> new float[Use.values().length][]);

    private KernelScratch() {
    }

    /**
     * An array of at least {@code length} floats with arbitrary contents, this thread's for {@code use} until the
     * next call for the same use on the same thread.
     */
    static float[] floats(Use use, int length) {
        if (length > MAX_KEPT) {
            return new float[length];
        }
        float[][] arrays = ARRAYS.get();
        float[] kept = arrays[use.ordinal()];
        if (kept == null || kept.length < length) {
            // a power of two, so calls with varying rows (experts) settle on one array
            kept = new float[Math.min(MAX_KEPT, Integer.highestOneBit(Math.max(1, length - 1)) << 1)];
            arrays[use.ordinal()] = kept;
        }
        return kept;
    }
}
