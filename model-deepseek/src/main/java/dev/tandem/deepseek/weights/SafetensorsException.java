package dev.tandem.deepseek.weights;

import dev.tandem.runtime.TandemException;

import java.nio.file.Path;

/** A safetensors file or checkpoint that is missing, truncated, corrupt, or lacks an expected tensor. */
public class SafetensorsException extends TandemException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** The name of the tensor concerned, or null. */
    private final String tensor;

    /**
     * Creates an exception about a file and, optionally, one of its tensors.
     *
     * @param file    the file concerned, or null
     * @param tensor  the tensor concerned, or null
     * @param message what is wrong
     */
    public SafetensorsException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    /**
     * Creates an exception about a file and, optionally, one of its tensors, with the failure that caused it.
     *
     * @param file    the file concerned, or null
     * @param tensor  the tensor concerned, or null
     * @param message what is wrong
     * @param cause   the underlying failure, or null
     */
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

    /**
     * The file concerned, or null.
     * @return the file path, or null
     */
    public Path file() {
        return file;
    }

    /**
     * The tensor concerned, or null.
     * @return the tensor name, or null
     */
    public String tensor() {
        return tensor;
    }
}
