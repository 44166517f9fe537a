package dev.tandem.runtime.schedule;

/** Which stream a stage belongs on when micro-batches overlap. */
public enum StageKind {
    /** Kernels: runs on the compute stream. */
    COMPUTE,
    /** Collectives and the work that must travel with them: runs on the communication stream. */
    COMM
}
