package dev.tandem.runtime.sim;

import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.spi.Backend;

/**
 * The simulated backend {@code sim}: always available; opened by name it reads its {@link SimSettings} from the
 * {@code sim.*} properties of the runtime options.
 */
public final class SimBackend implements Backend {
    /** The name the backend is selected by. */
    public static final String NAME = "sim";

    /** Creates the backend; the service loader calls this when backends are looked up. */
    public SimBackend() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public String unavailableReason() {
        return "";
    }

    @Override
    public TandemRuntime open(RuntimeOptions options) {
        return new SimRuntime(options, SimSettings.fromProperties(options));
    }
}
