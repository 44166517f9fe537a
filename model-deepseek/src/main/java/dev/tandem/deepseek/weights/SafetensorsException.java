package dev.tandem.deepseek.weights;

import dev.tandem.runtime.TandemException;

import java.nio.file.Path;

/** A safetensors file or checkpoint that is missing, truncated, corrupt, or lacks an expected tensor. */
public class SafetensorsException extends TandemException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    public SafetensorsException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    public SafetensorsException(Path file, String tensor, String message, Throwable cause) {
        super(format(file, tensor, message), cause);
        this.file = file;
        this.tensor = tensor;
    }

    private static String format(Path file, String tensor, String message) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<no file>" : file.toString());
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        return sb.append(": ").append(message).toString();
    }

    /** The file concerned, or null. */
    public Path file() {
        return file;
    }

    /** The tensor concerned, or null. */
    public String tensor() {
        return tensor;
    }
}
