package dev.tandem.runtime.spi;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;

/**
 * A device backend, found with {@link java.util.ServiceLoader}. Implementations must have a public no-argument
 * constructor that does no native work: availability is probed lazily.
 */
public interface Backend {

    /**
     * The name users select it by, e.g. {@code host}.
     *
     * @return the name, matched case-insensitively
     */
    String name();

    /**
     * Whether the backend can open a runtime on this machine.
     *
     * @return true if {@link #open(RuntimeOptions)} can succeed
     */
    boolean isAvailable();

    /**
     * Why {@link #isAvailable()} is false (what was looked for), or an empty string when available.
     *
     * @return the reason, or {@code ""}
     */
    String unavailableReason();

    /**
     * Opens a runtime; throws {@link dev.tandem.runtime.BackendNotFoundException} when unavailable.
     *
     * @param options device count, memory, tracing and backend properties
     * @return the open runtime, which the caller closes
     * @throws dev.tandem.runtime.BackendNotFoundException if the backend is unavailable
     */
    TandemRuntime open(RuntimeOptions options);
}
