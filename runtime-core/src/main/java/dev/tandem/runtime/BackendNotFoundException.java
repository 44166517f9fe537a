package dev.tandem.runtime;

/** No backend with the requested name exists or can be loaded. */
public class BackendNotFoundException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public BackendNotFoundException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public BackendNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
