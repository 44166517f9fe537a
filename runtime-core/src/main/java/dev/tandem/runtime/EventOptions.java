package dev.tandem.runtime;

/**
 * How to create an {@link Event}.
 *
 * @param timing whether the event captures a timestamp; off by default because it costs a clock read
 */
public record EventOptions(boolean timing) {
    public static final EventOptions DEFAULT = new EventOptions(false);
    public static final EventOptions TIMING = new EventOptions(true);
}
