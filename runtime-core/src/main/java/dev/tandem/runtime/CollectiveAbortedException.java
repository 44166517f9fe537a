package dev.tandem.runtime;

/**
 * A collective could not complete because its communicator group was aborted: a peer's stream failed, a peer's
 * communicator closed, or an earlier collective of the group failed. The cause is the failure that aborted the
 * group (the root cause, not a later symptom), so callers can report what actually went wrong.
 */
public class CollectiveAbortedException extends CollectiveException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with the failure that caused it.
     *
     * @param message what went wrong, for the reader of the log
     * @param cause the underlying failure, or {@code null} if none
     */
    public CollectiveAbortedException(String message, Throwable cause) {
        super(message, cause);
    }
}
