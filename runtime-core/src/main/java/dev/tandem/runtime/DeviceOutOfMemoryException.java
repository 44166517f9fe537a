package dev.tandem.runtime;

/** A device allocation could not be satisfied. */
public class DeviceOutOfMemoryException extends TandemException {
    private static final long serialVersionUID = 1L;

    public DeviceOutOfMemoryException(String message) {
        super(message);
    }

    public DeviceOutOfMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
