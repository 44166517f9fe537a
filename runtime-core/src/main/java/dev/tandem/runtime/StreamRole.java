package dev.tandem.runtime;

/** What a stream is for; backends and traces use it to label lanes, schedules to pick the right queue. */
public enum StreamRole {
    /** Kernels: the work of the model. */
    COMPUTE,
    /** Collectives and other communication between devices. */
    COMM,
    /** Host-device and device-device copies. */
    COPY
}
