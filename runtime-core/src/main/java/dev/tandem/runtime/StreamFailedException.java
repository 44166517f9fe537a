package dev.tandem.runtime;

/**
 * An operation failed asynchronously inside a stream. The failure is sticky: every later
 * synchronize of that stream, and every later enqueue on it, throws this again.
 */
public class StreamFailedException extends TandemException {
    private static final long serialVersionUID = 1L;

    /** Name of the stream on which the operation failed. */
    private final String streamName;
    /** Name of the operation that failed. */
    private final String operation;

    /**
     * Creates the sticky failure of a stream.
     *
     * @param streamName name of the stream on which the operation failed
     * @param operation  name of the operation that failed
     * @param cause      the failure the operation raised, or {@code null} if unknown
     */
    public StreamFailedException(String streamName, String operation, Throwable cause) {
        super("stream '" + streamName + "' failed in operation '" + operation + "': " + describe(cause), cause);
        this.streamName = streamName;
        this.operation = operation;
    }

    private static String describe(Throwable cause) {
        return cause == null ? "unknown cause" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /**
     * The stream on which the operation failed.
     *
     * @return the stream's name
     */
    public String streamName() {
        return streamName;
    }

    /**
     * The name of the operation that failed.
     *
     * @return the operation's name
     */
    public String operation() {
        return operation;
    }
}
