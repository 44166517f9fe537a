package dev.tandem.runtime.host;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds and loads a CBLAS library for {@link BlasGemm}. The jextract bindings in
 * {@code dev.tandem.runtime.host.blas} are built without {@code --library}: they resolve symbols through
 * {@code SymbolLookup.loaderLookup()}, i.e. the library this class loads with {@link System#load}.
 *
 * <p>Search order: {@code -Dtandem.blas=/abs/libsomething.so} (any library exporting {@code cblas_sgemm}; an
 * error when the file does not exist; {@code -Dtandem.blas=none} means no BLAS at all), else a system OpenBLAS ({@code libopenblas.so.0} / {@code libopenblas.so})
 * in {@code LD_LIBRARY_PATH}, the distribution's library directories and their {@code openblas-pthread},
 * {@code openblas-openmp} and {@code openblas-serial} subdirectories.
 *
 * <p>Threads: the library's own threading is set to 1 when it exports {@code openblas_set_num_threads} (a
 * process-wide setting); Tandem parallelises BLAS calls itself over each device's compute threads. Other
 * libraries must be limited by their own environment variable (e.g. {@code OMP_NUM_THREADS=1}).
 */
final class BlasLibrary {
    static final String PROPERTY = "tandem.blas";
    /** The value of {@link #PROPERTY} that turns BLAS off (as on a machine without one). */
    static final String NONE = "none";

    /** What loading found: the library and its self-description, or why there is none. */
    record Status(Path path, String description, String reason) {
        boolean found() {
            return path != null;
        }
    }

    private static Status status;

    private BlasLibrary() {
    }

    /** Loads the library once per process; later calls return the first result. */
    static synchronized Status load() {
        if (status == null) {
            status = tryLoad();
        }
        return status;
    }

    private static Status tryLoad() {
        String explicit = System.getProperty(PROPERTY, "").trim();
        List<Path> candidates = new ArrayList<>();
        if (explicit.equals(NONE)) {
            return new Status(null, "", "-D" + PROPERTY + "=" + NONE + " turns BLAS off");
        }
        if (!explicit.isEmpty()) {
            Path p = Path.of(explicit).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                return new Status(null, "", "-D" + PROPERTY + " names " + p + ", which does not exist");
            }
            candidates.add(p);
        } else {
            candidates.addAll(systemCandidates());
            if (candidates.isEmpty()) {
                return new Status(null, "", "no OpenBLAS found (looked for libopenblas.so.0 in LD_LIBRARY_PATH and "
                        + String.join(", ", directories()) + "; install libopenblas0 or set -D" + PROPERTY + "=PATH)");
            }
        }
        List<String> failures = new ArrayList<>();
        for (Path lib : candidates) {
            try {
                System.load(lib.toString());
            } catch (UnsatisfiedLinkError | IllegalCallerException e) {
                failures.add(lib + ": " + e.getMessage());
                continue;
            }
            SymbolLookup loaded = SymbolLookup.loaderLookup();
            if (loaded.find("cblas_sgemm").isEmpty()) {
                failures.add(lib + " does not export cblas_sgemm");
                continue;
            }
            String description = lib.getFileName().toString();
            try {
                if (loaded.find("openblas_set_num_threads").isPresent()) {
                    dev.tandem.runtime.host.blas.Cblas.openblas_set_num_threads(1);
                }
                if (loaded.find("openblas_get_config").isPresent()) {
                    MemorySegment config = dev.tandem.runtime.host.blas.Cblas.openblas_get_config();
                    description = config.reinterpret(256).getString(0).trim();
                }
            } catch (IllegalCallerException e) {
                failures.add(lib + ": " + e.getMessage());
                continue;
            }
            return new Status(lib, description, "");
        }
        return new Status(null, "", "no usable CBLAS: " + String.join("; ", failures));
    }

    private static List<Path> systemCandidates() {
        Set<Path> dirs = new LinkedHashSet<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (String d : directories()) {
            dirs.add(Path.of(d));
        }
        List<Path> found = new ArrayList<>();
        for (Path dir : dirs) {
            for (String sub : List.of("", "openblas-pthread", "openblas-openmp", "openblas-serial")) {
                for (String name : List.of("libopenblas.so.0", "libopenblas.so", "libopenblas.dylib")) {
                    Path p = (sub.isEmpty() ? dir : dir.resolve(sub)).resolve(name);
                    if (Files.isRegularFile(p)) {
                        found.add(p);
                    }
                }
            }
        }
        return found;
    }

    private static List<String> directories() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String multiarch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64", "arm64" -> "aarch64-linux-gnu";
            default -> arch + "-linux-gnu";
        };
        return List.of("/usr/lib/" + multiarch, "/usr/lib64", "/usr/lib", "/usr/local/lib", "/opt/OpenBLAS/lib",
                "/opt/homebrew/opt/openblas/lib");
    }
}
