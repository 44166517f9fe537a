package dev.tandem.runtime;

/** An offset, length or count lies outside the buffer or tensor it addresses, or overflows. */
public class OutOfRangeException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public OutOfRangeException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public OutOfRangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
