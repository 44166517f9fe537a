package dev.tandem.runtime;

/** A device allocation could not be satisfied. */
public class DeviceOutOfMemoryException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public DeviceOutOfMemoryException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public DeviceOutOfMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
