package dev.tandem.deepseek.serving;

import java.util.concurrent.TimeoutException;

/** A step's deadline passed before it could finish; the request has ended and its cache is released. */
public class StepDeadlineException extends TimeoutException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which step missed its deadline
     */
    public StepDeadlineException(String message) {
        super(message);
    }
}
