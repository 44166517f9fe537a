package dev.tandem.runtime;

/** An argument was rejected before anything was enqueued. */
public class InvalidArgumentException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public InvalidArgumentException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public InvalidArgumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
