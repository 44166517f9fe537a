package dev.tandem.runtime.spi;

import dev.tandem.runtime.BackendNotFoundException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds backends with ServiceLoader and resolves the one a user asked for. */
public final class Backends {
    /**
     * System property naming the backend when no name is passed.
     */
    public static final String PROPERTY = "tandem.backend";
    /**
     * Environment variable naming the backend when neither a name nor the property is given.
     */
    public static final String ENVIRONMENT = "TANDEM_BACKEND";
    /**
     * The backend used when nothing names one.
     */
    public static final String DEFAULT = "host";

    private Backends() {
    }

    /**
     * Every backend on the class or module path, available or not.
     *
     * @return a new list, in service-loader order
     */
    public static List<Backend> all() {
        List<Backend> found = new ArrayList<>();
        ServiceLoader.load(Backend.class, Backends.class.getClassLoader()).forEach(found::add);
        return found;
    }

    /**
     * The name selected by argument, then system property, then environment, then {@value #DEFAULT}.
     *
     * @param requested the name asked for, or null or blank to fall back
     * @return the first non-blank name found, trimmed
     */
    public static String selectedName(String requested) {
        if (requested != null && !requested.isBlank()) {
            return requested.trim();
        }
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return property.trim();
        }
        String env = System.getenv(ENVIRONMENT);
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        return DEFAULT;
    }

    /**
     * The backend named by {@link #selectedName(String)}, or an error listing what exists.
     *
     * @param requested the name asked for, or null or blank to fall back
     * @return the available backend with that name (case-insensitive)
     * @throws BackendNotFoundException if no backend has that name or it is unavailable
     */
    public static Backend resolve(String requested) {
        String name = selectedName(requested);
        List<Backend> all = all();
        for (Backend backend : all) {
            if (backend.name().equalsIgnoreCase(name)) {
                if (!backend.isAvailable()) {
                    throw new BackendNotFoundException("backend '" + name + "' is installed but not available: "
                            + backend.unavailableReason());
                }
                return backend;
            }
        }
        String names = all.stream()
                .map(b -> b.name() + (b.isAvailable() ? "" : " (unavailable)"))
                .sorted()
                .collect(Collectors.joining(", "));
        throw new BackendNotFoundException("unknown backend '" + name.toLowerCase(Locale.ROOT)
                + "'; available backends: " + (names.isEmpty() ? "none" : names));
    }
}
