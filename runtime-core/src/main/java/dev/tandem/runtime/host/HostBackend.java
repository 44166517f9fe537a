package dev.tandem.runtime.host;

import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.spi.Backend;

/**
 * The pure-Java backend: emulated devices whose streams are platform threads, kernels computed on the CPU and
 * collectives between in-process ranks. Always available; the embedded default.
 */
public final class HostBackend implements Backend {
    public static final String NAME = "host";

    /**
     * How long an idle host stream's thread spins for work before it parks (and must be woken by the next enqueue).
     *
     * @return nanoseconds
     */
    public static long streamParkNanos() {
        return HostStream.SPIN_NANOS;
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
        return new HostRuntime(options);
    }
}
