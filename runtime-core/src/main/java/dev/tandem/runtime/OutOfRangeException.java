package dev.tandem.runtime;

/** An offset, length or count lies outside the buffer or tensor it addresses, or overflows. */
public class OutOfRangeException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    public OutOfRangeException(String message) {
        super(message);
    }

    public OutOfRangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
