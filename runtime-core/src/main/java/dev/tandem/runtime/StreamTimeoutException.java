package dev.tandem.runtime;

/** {@link Stream#synchronize(java.time.Duration)} ran out of time before the stream drained. */
public class StreamTimeoutException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for the reader of the log
     */
    public StreamTimeoutException(String message) {
        super(message);
    }
}
