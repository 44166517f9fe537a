package dev.tandem.runtime;

/**
 * A handle (runtime, device, stream, event, buffer, communicator) was used after it was closed, or work that was
 * still queued or running when its stream closed was abandoned.
 */
public class HandleClosedException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public HandleClosedException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public HandleClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
