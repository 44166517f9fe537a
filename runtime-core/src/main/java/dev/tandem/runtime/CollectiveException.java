package dev.tandem.runtime;

/** A collective operation failed: mismatched calls across ranks or a rank that never arrived. */
public class CollectiveException extends TandemException {
    private static final long serialVersionUID = 1L;

    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
