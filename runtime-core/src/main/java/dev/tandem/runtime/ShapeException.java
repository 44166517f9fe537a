package dev.tandem.runtime;

/** Tensor shapes, dtypes or strides do not fit the operation. */
public class ShapeException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public ShapeException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public ShapeException(String message, Throwable cause) {
        super(message, cause);
    }
}
