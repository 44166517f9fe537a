package dev.tandem.deepseek.serving;

/**
 * A submitted step was rejected before it reached the running batch: wrong shape, positions that do not continue
 * the request's cache, non-finite values (when the engine checks them), or an unknown request id.
 */
public class InvalidRequestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long requestId;

    public InvalidRequestException(long requestId, String message) {
        super("request " + requestId + ": " + message);
        this.requestId = requestId;
    }

    public long requestId() {
        return requestId;
    }
}
