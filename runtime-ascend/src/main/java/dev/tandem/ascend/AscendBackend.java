package dev.tandem.ascend;

import dev.tandem.ascend.internal.AscendLibraries;
import dev.tandem.runtime.BackendNotFoundException;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.spi.Backend;

/**
 * The {@code ascend} backend. Construction does no native work. {@link #isAvailable()} finds the libraries and
 * really loads them once ({@link AscendLibraries#probe()}): a library whose own dependencies do not resolve on
 * {@code LD_LIBRARY_PATH}, or a CANN environment without {@code ASCEND_OPP_PATH}, makes the backend unavailable with
 * that reason instead of failing later inside {@link #open}.
 */
public final class AscendBackend implements Backend {
    /** The backend's name, {@value}, as selected in {@link RuntimeOptions}. */
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
        return AscendLibraries.probe().isEmpty();
    }

    @Override
    public String unavailableReason() {
        return AscendLibraries.probe();
    }

    @Override
    public TandemRuntime open(RuntimeOptions options) {
        String reason = AscendLibraries.probe();
        if (!reason.isEmpty()) {
            throw new BackendNotFoundException("backend 'ascend' is not available: " + reason);
        }
        return AscendRuntime.open(options);
    }
}
