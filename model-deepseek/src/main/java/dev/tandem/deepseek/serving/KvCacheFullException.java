package dev.tandem.deepseek.serving;

/** A step's KV cache does not fit the engine's per-device cache budget (now, or ever for a request alone). */
public class KvCacheFullException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which step did not fit, and by how much
     */
    public KvCacheFullException(String message) {
        super(message);
    }
}
