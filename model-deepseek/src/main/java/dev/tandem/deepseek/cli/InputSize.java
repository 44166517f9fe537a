package dev.tandem.deepseek.cli;

import java.util.Locale;

/**
 * Checks before allocating a CLI input of {@code tokens x hidden} floats: Java arrays hold at most about 2^31
 * values, and the input and output hidden states (plus what the layers allocate per token) must fit the heap.
 * Fails with how much memory the input would need instead of a NegativeArraySizeException or OutOfMemoryError.
 */
final class InputSize {
    /** Activations the layers hold per input value at their peak, beyond input and output (a rough lower bound). */
    private static final int WORKING_COPIES = 4;

    /** The input is larger than this JVM can hold. */
    static final class TooLargeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLargeException(String message) {
            super(message);
        }
    }

    private InputSize() {
    }

    static void check(String what, long tokens, int hidden) {
        long values = tokens * hidden;   // tokens < 2^31 and hidden < 2^31: no long overflow
        long bytes = values * Float.BYTES;
        long needed = bytes * (2 + WORKING_COPIES);
        if (values > Integer.MAX_VALUE - 8) {
            throw new TooLargeException(String.format(Locale.ROOT, "%s: %d tokens x hidden_size %d = %d values is more "
                    + "than one Java array holds (%d); split the input (it would need about %s of memory)", what,
                    tokens, hidden, values, Integer.MAX_VALUE - 8, human(needed)));
        }
        long max = Runtime.getRuntime().maxMemory();
        if (needed > max) {
            throw new TooLargeException(String.format(Locale.ROOT, "%s: %d tokens x hidden_size %d need about %s of "
                    + "memory (input and output hidden states of %s each, plus working space) but this JVM may use at "
                    + "most %s; give fewer tokens or a larger -Xmx", what, tokens, hidden, human(needed), human(bytes),
                    human(max)));
        }
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return bytes + " bytes";
    }
}
