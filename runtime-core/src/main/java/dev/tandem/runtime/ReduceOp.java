package dev.tandem.runtime;

/** Element-wise reduction of a collective. */
public enum ReduceOp {
    /** Sum of the ranks' elements. */
    SUM,
    /** Product of the ranks' elements. */
    PROD,
    /** Largest of the ranks' elements. */
    MAX,
    /** Smallest of the ranks' elements. */
    MIN
}
