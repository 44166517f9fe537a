package dev.tandem.deepseek.serving;

/** A step's KV cache does not fit the engine's per-device cache budget (now, or ever for a request alone). */
public class KvCacheFullException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public KvCacheFullException(String message) {
        super(message);
    }
}
