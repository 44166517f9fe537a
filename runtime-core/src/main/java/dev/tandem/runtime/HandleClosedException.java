package dev.tandem.runtime;

/**
 * A handle (runtime, device, stream, event, buffer, communicator) was used after it was closed, or work that was
 * still queued or running when its stream closed was abandoned.
 */
public class HandleClosedException extends TandemException {
    private static final long serialVersionUID = 1L;

    public HandleClosedException(String message) {
        super(message);
    }

    public HandleClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
