package dev.tandem.runtime;

/** A rank did not reach a collective rendezvous within the communicator's timeout. */
public class CollectiveTimeoutException extends CollectiveException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public CollectiveTimeoutException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public CollectiveTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
