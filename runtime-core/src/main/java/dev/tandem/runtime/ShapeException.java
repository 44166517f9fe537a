package dev.tandem.runtime;

/** Tensor shapes, dtypes or strides do not fit the operation. */
public class ShapeException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    public ShapeException(String message) {
        super(message);
    }

    public ShapeException(String message, Throwable cause) {
        super(message, cause);
    }
}
