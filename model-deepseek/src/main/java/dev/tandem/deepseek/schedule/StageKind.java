package dev.tandem.deepseek.schedule;

/** Whether a stage is device compute or communication; an overlap scheduler maps each kind to its own stream. */
public enum StageKind {
    COMPUTE,
    COMM
}
