package dev.tandem.ascend;

import dev.tandem.ascend.internal.AscendLibraries;
import dev.tandem.runtime.BackendNotFoundException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.spi.Backend;

/**
 * The {@code ascend} backend. Construction does no native work; {@link #isAvailable()} only looks for the
 * libraries (see {@link AscendLibraries}), and {@link #open(RuntimeOptions)} loads them.
 */
public final class AscendBackend implements Backend {
    public static final String NAME = "ascend";

    /** Does no native work (the service loader instantiates every backend). */
    public AscendBackend() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean isAvailable() {
        return AscendLibraries.isLoaded() || AscendLibraries.discover().found();
    }

    @Override
    public String unavailableReason() {
        return isAvailable() ? "" : AscendLibraries.discover().reason();
    }

    @Override
    public TandemRuntime open(RuntimeOptions options) {
        if (!isAvailable()) {
            throw new BackendNotFoundException("backend 'ascend' is not available: " + unavailableReason());
        }
        return AscendRuntime.open(options);
    }
}
