package dev.tandem.deepseek.config;

import dev.tandem.runtime.InvalidArgumentException;

/** An invalid, inconsistent or unsupported model configuration. */
public class ConfigException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
