package dev.tandem.runtime;

/** A collective operation failed: mismatched calls across ranks or a rank that never arrived. */
public class CollectiveException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public CollectiveException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
