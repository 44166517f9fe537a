package dev.tandem.deepseek.config;

import dev.tandem.runtime.InvalidArgumentException;

/** An invalid, inconsistent or unsupported model configuration. */
public class ConfigException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what is wrong with the configuration
     */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the failure that caused it.
     *
     * @param message what is wrong with the configuration
     * @param cause   the underlying failure
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
