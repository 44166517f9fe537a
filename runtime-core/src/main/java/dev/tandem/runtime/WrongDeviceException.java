package dev.tandem.runtime;

/** A handle that belongs to another device (or another runtime) was passed. */
public class WrongDeviceException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public WrongDeviceException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public WrongDeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
