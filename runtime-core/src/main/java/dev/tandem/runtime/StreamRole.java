package dev.tandem.runtime;

/** What a stream is for; backends and traces use it to label lanes, schedules to pick the right queue. */
public enum StreamRole {
    COMPUTE,
    COMM,
    COPY
}
