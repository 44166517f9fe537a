package dev.tandem.runtime;

/** Root of every exception Tandem throws for a device, stream, memory or collective problem. Unchecked. */
public class TandemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TandemException(String message) {
        super(message);
    }

    public TandemException(String message, Throwable cause) {
        super(message, cause);
    }
}
