package dev.tandem.deepseek.model;

/**
 * Which MLA form attention uses per request chunk (deepseek.md sections 2.3 and 2.5); both give the same result up
 * to rounding.
 */
public enum MlaMode {
    /** Expand the cached latents with kv_b into per-head K and V, then attend (cheap for long prefills). */
    NAIVE,
    /**
     * Absorb kv_b into the query and output: attend over the latents directly (cheap for decode: the cache is
     * never expanded).
     */
    ABSORBED,
    /** Per chunk, whichever form needs fewer multiply-adds. */
    AUTO;

    /** Multiply-adds of the naive form for {@code n} new queries over {@code len} keys, per head. */
    static long naiveCost(long n, long len, int rkv, int dn, int dr, int dv) {
        return len * rkv * (dn + dv) + n * len * (dn + dr + dv);
    }

    /** Multiply-adds of the absorbed form, per head. */
    static long absorbedCost(long n, long len, int rkv, int dn, int dr, int dv) {
        return n * rkv * (dn + dv) + n * len * (2L * rkv + dr);
    }

    boolean absorb(long n, long len, int rkv, int dn, int dr, int dv) {
        return switch (this) {
            case NAIVE -> false;
            case ABSORBED -> true;
            case AUTO -> absorbedCost(n, len, rkv, dn, dr, dv) < naiveCost(n, len, rkv, dn, dr, dv);
        };
    }
}
