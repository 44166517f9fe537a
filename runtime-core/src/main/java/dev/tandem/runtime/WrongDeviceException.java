package dev.tandem.runtime;

/** A handle that belongs to another device (or another runtime) was passed. */
public class WrongDeviceException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    public WrongDeviceException(String message) {
        super(message);
    }

    public WrongDeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
