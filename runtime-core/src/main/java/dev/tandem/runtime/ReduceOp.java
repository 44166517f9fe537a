package dev.tandem.runtime;

/** Element-wise reduction of a collective. */
public enum ReduceOp {
    SUM,
    PROD,
    MAX,
    MIN
}
