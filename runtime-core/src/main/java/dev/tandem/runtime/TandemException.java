package dev.tandem.runtime;

/** Root of every exception Tandem throws for a device, stream, memory or collective problem. Unchecked. */
public class TandemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public TandemException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public TandemException(String message, Throwable cause) {
        super(message, cause);
    }
}
