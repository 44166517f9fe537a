package dev.tandem.runtime.spi;

import dev.tandem.runtime.Stream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Closes several children so that one failure neither stops the others nor hides itself: the first failure is
 * thrown after everything was tried, later ones are attached to it as suppressed.
 */
public final class Closer {
    private Closer() {
    }

    /**
     * A close as an action for {@link #runAll}; a checked exception from it becomes an unchecked one.
     *
     * @param resource the resource to close
     * @return an action that closes it, wrapping a checked exception in an {@link IllegalStateException}
     */
    public static Runnable closing(AutoCloseable resource) {
        return () -> {
            try {
                resource.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing " + resource + " failed", e);
            }
        };
    }

    /**
     * Closes every resource in list order (see {@link #runAll}).
     *
     * @param resources the resources to close
     */
    public static void closeAll(List<? extends AutoCloseable> resources) {
        runAll(resources.stream().map(Closer::closing).toList());
    }

    /**
     * The fixed order in which every device closes its children: communicators (collectives in flight end first),
     * then buffers (their frees are stream-ordered), then events, then streams. Returns the close actions, to which
     * a backend appends its own resources, for {@link #runAll}.
     *
     * @param communicators the device's communicators
     * @param buffers       the device's buffers
     * @param events        the device's events
     * @param streams       the device's streams
     * @return a new mutable list of close actions, in that order
     */
    public static List<Runnable> deviceChildren(Collection<? extends AutoCloseable> communicators,
                                                Collection<? extends AutoCloseable> buffers,
                                                Collection<? extends AutoCloseable> events,
                                                Collection<? extends AutoCloseable> streams) {
        List<Runnable> closes = new ArrayList<>();
        for (Collection<? extends AutoCloseable> group : List.of(communicators, buffers, events, streams)) {
            for (AutoCloseable child : List.copyOf(group)) {
                closes.add(closing(child));
            }
        }
        return closes;
    }

    /**
     * Synchronizes every open stream, all of them even if one fails (the first failure is thrown).
     *
     * @param streams the streams; closed ones are skipped
     */
    public static void synchronizeAll(Collection<? extends Stream> streams) {
        runAll(streams.stream().filter(s -> !s.isClosed()).map(s -> (Runnable) s::synchronize).toList());
    }

    /**
     * Runs every action in order, then throws the first failure (with the rest suppressed), if any.
     *
     * @param actions the actions to run
     */
    public static void runAll(List<? extends Runnable> actions) {
        RuntimeException first = null;
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
