package dev.tandem.deepseek.cli;

import dev.tandem.runtime.InvalidArgumentException;

/** A command-line mistake; the message says what is wrong and the usage is printed after it. */
public final class UsageException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the command line
     */
    public UsageException(String message) {
        super(message);
    }
}
