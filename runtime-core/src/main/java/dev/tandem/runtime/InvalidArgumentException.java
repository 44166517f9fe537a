package dev.tandem.runtime;

/** An argument was rejected before anything was enqueued. */
public class InvalidArgumentException extends TandemException {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentException(String message) {
        super(message);
    }

    public InvalidArgumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
