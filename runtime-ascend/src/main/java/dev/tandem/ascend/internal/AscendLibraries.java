package dev.tandem.ascend.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds and loads the CANN libraries (or the test emulator). The generated bindings are built without
 * {@code --library}: they resolve symbols through {@code SymbolLookup.loaderLookup()}, i.e. through the
 * libraries this class loads with {@link System#load} into the same class loader. Loading therefore decides
 * which implementation the bindings call.
 *
 * <p>Search order: {@code -Dtandem.ascend.emulator=/abs/libascend_emulator.so} (tests; the one file exports
 * every symbol), else the first of {@code -Dtandem.ascend.home}, {@code ASCEND_HOME_PATH},
 * {@code ASCEND_TOOLKIT_HOME}, {@code /usr/local/Ascend/ascend-toolkit/latest}, {@code /usr/local/Ascend/cann},
 * {@code /usr/local/Ascend/latest} that holds {@code libascendcl.so}, looking in {@code lib64} and
 * {@code <arch>-linux/lib64}. Operators come from {@code libopapi.so} or the split {@code libopapi_*.so}.
 */
public final class AscendLibraries {
    public static final String EMULATOR_PROPERTY = "tandem.ascend.emulator";
    public static final String HOME_PROPERTY = "tandem.ascend.home";

    private static final List<String> CORE = List.of("libascendcl.so", "libhccl.so", "libnnopbase.so");
    private static final List<String> SPLIT_OPAPI = List.of("libopapi_math.so", "libopapi_nn.so",
            "libopapi_transformer.so", "libopapi_cv.so");

    /** What discovery found: libraries to load in order, or why nothing usable was found. */
    public record Discovery(List<Path> libraries, boolean emulator, String reason) {
        public boolean found() {
            return !libraries.isEmpty();
        }
    }

    private static Discovery loaded;

    private AscendLibraries() {
    }

    public static Discovery discover() {
        String emulator = System.getProperty(EMULATOR_PROPERTY, "").trim();
        if (!emulator.isEmpty()) {
            Path p = Path.of(emulator).toAbsolutePath();
            if (Files.isRegularFile(p)) {
                return new Discovery(List.of(p), true, "");
            }
            return new Discovery(List.of(), true, "-D" + EMULATOR_PROPERTY + " names " + p + ", which does not exist");
        }
        List<String> looked = new ArrayList<>();
        for (Path home : homes()) {
            for (Path dir : libDirs(home)) {
                Path acl = dir.resolve("libascendcl.so");
                if (!Files.isRegularFile(acl)) {
                    looked.add(acl.toString());
                    continue;
                }
                List<Path> libs = new ArrayList<>();
                List<String> missing = new ArrayList<>();
                for (String name : CORE) {
                    Path lib = dir.resolve(name);
                    if (Files.isRegularFile(lib)) {
                        libs.add(lib);
                    } else {
                        missing.add(lib.toString());
                    }
                }
                List<Path> opapi = new ArrayList<>();
                if (Files.isRegularFile(dir.resolve("libopapi.so"))) {
                    opapi.add(dir.resolve("libopapi.so"));
                }
                for (String name : SPLIT_OPAPI) {
                    if (Files.isRegularFile(dir.resolve(name))) {
                        opapi.add(dir.resolve(name));
                    }
                }
                if (opapi.isEmpty()) {
                    missing.add(dir.resolve("libopapi.so") + " or " + String.join("/", SPLIT_OPAPI));
                }
                if (!missing.isEmpty()) {
                    return new Discovery(List.of(), false, "found " + acl + " but not " + String.join(", ", missing));
                }
                libs.addAll(opapi);
                return new Discovery(List.copyOf(libs), false, "");
            }
        }
        return new Discovery(List.of(), false, "no CANN installation: looked for " + String.join(", ", looked)
                + " (set -D" + HOME_PROPERTY + ", ASCEND_HOME_PATH or ASCEND_TOOLKIT_HOME, e.g. by sourcing set_env.sh,"
                + " or -D" + EMULATOR_PROPERTY + " for the test emulator)");
    }

    /** Loads the discovered libraries once per process; later calls return the first result. */
    public static synchronized Discovery load() {
        if (loaded != null) {
            return loaded;
        }
        Discovery d = discover();
        if (!d.found()) {
            throw new IllegalStateException(d.reason());
        }
        for (Path lib : d.libraries()) {
            System.load(lib.toString());
        }
        loaded = d;
        return d;
    }

    private static String probed;

    /**
     * Tries to load the libraries once per process and returns why they are unusable, or "" when they loaded. The
     * reason names the library whose loading failed and the loader's message (a dependency missing from
     * {@code LD_LIBRARY_PATH}, which the dynamic loader reads only at process start), or a missing
     * {@code ASCEND_OPP_PATH} (aclnn operators then fail with 561107).
     */
    public static synchronized String probe() {
        if (probed != null) {
            return probed;
        }
        Discovery d = discover();
        probed = tryLoad(d, System.getenv("ASCEND_OPP_PATH"));
        if (probed.isEmpty()) {
            loaded = d;
        }
        return probed;
    }

    /** Loads what {@code d} found; returns "" or why the libraries are unusable ({@link #probe}'s reasons). */
    static String tryLoad(Discovery d, String oppPath) {
        if (!d.found()) {
            return d.reason();
        }
        if (!d.emulator() && (oppPath == null || oppPath.isBlank())) {
            return "ASCEND_OPP_PATH is not set (aclnn operators would fail with 561107): source CANN's set_env.sh"
                    + " before starting the JVM";
        }
        for (Path lib : d.libraries()) {
            try {
                System.load(lib.toString());
            } catch (UnsatisfiedLinkError e) {
                return "loading " + lib + " failed: " + e.getMessage() + " (its dependencies resolve through"
                        + " LD_LIBRARY_PATH, which must include the CANN and driver lib64 folders before the JVM starts)";
            }
        }
        return "";
    }

    public static synchronized boolean isLoaded() {
        return loaded != null;
    }

    private static Set<Path> homes() {
        Set<Path> homes = new LinkedHashSet<>();
        Stream.of(System.getProperty(HOME_PROPERTY), System.getenv("ASCEND_HOME_PATH"), System.getenv("ASCEND_TOOLKIT_HOME"),
                        "/usr/local/Ascend/ascend-toolkit/latest", "/usr/local/Ascend/cann", "/usr/local/Ascend/latest")
                .filter(s -> s != null && !s.isBlank())
                .forEach(s -> homes.add(Path.of(s.trim())));
        return homes;
    }

    private static List<Path> libDirs(Path home) {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String triple = arch.equals("aarch64") || arch.equals("arm64") ? "aarch64-linux" : "x86_64-linux";
        return List.of(home.resolve("lib64"), home.resolve(triple).resolve("lib64"), home);
    }
}
