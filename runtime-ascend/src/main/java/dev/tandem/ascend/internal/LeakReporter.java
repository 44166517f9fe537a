package dev.tandem.ascend.internal;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reports native handles that became unreachable without being closed. It only reports: freeing from a
 * Cleaner thread would run without the handle's device context and could race with work still queued on a
 * stream, so the resource stays allocated until its device (or runtime) is closed.
 */
public final class LeakReporter {
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("tandem-ascend-leaks").factory());
    private static final System.Logger LOG = System.getLogger("dev.tandem.ascend");

    private LeakReporter() {
    }

    /** Registers {@code owner}; {@code closed} must not reference it. */
    public static void watch(Object owner, String description, AtomicBoolean closed) {
        CLEANER.register(owner, () -> {
            if (!closed.get()) {
                LOG.log(System.Logger.Level.WARNING, "{0} was never closed; it stays allocated until its device closes",
                        description);
            }
        });
    }
}
