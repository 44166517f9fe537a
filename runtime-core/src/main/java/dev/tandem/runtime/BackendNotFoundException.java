package dev.tandem.runtime;

/** No backend with the requested name exists or can be loaded. */
public class BackendNotFoundException extends TandemException {
    private static final long serialVersionUID = 1L;

    public BackendNotFoundException(String message) {
        super(message);
    }

    public BackendNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
