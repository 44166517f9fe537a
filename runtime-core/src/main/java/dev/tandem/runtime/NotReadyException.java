package dev.tandem.runtime;

/**
 * A result was asked for before the device produced it: {@link Event#elapsedMillis(Event)} on an event that was
 * never recorded or has not completed yet.
 */
public class NotReadyException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public NotReadyException(String message) {
        super(message);
    }
}
