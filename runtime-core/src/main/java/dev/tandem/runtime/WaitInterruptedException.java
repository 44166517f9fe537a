package dev.tandem.runtime;

/**
 * The calling thread was interrupted while it waited for device work (a synchronize or a blocking download). The
 * thread's interrupt flag is set again before this is thrown, so callers further up still see the interrupt; the
 * device work itself is not cancelled.
 */
public class WaitInterruptedException extends TandemException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception; prefer {@link #of(String, InterruptedException)}, which also restores the interrupt flag.
     *
     * @param message what the thread was waiting for when it was interrupted
     * @param cause the interrupt that ended the wait
     */
    public WaitInterruptedException(String message, InterruptedException cause) {
        super(message, cause);
    }

    /**
     * Restores the interrupt flag of the current thread and returns the exception to throw.
     *
     * @param waitingFor what the thread was waiting for, e.g. {@code "stream 'main' to drain"}
     * @param cause the interrupt that ended the wait
     * @return the exception to throw, with message {@code "interrupted while waiting for " + waitingFor}
     */
    public static WaitInterruptedException of(String waitingFor, InterruptedException cause) {
        Thread.currentThread().interrupt();
        return new WaitInterruptedException("interrupted while waiting for " + waitingFor, cause);
    }
}
