package dev.tandem.deepseek.serving;

/**
 * A submitted step was rejected before it reached the running batch: wrong shape, positions that do not continue
 * the request's cache, non-finite values (when the engine checks them), or an unknown request id.
 */
public class InvalidRequestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The id of the rejected request. */
    private final long requestId;

    /**
     * Creates the exception; the message is prefixed with the request id.
     *
     * @param requestId the rejected request
     * @param message   why it was rejected
     */
    public InvalidRequestException(long requestId, String message) {
        super("request " + requestId + ": " + message);
        this.requestId = requestId;
    }

    /** {@return the id of the rejected request} */
    public long requestId() {
        return requestId;
    }
}
