package dev.tandem.runtime.host;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.Locale;

/**
 * Chooses the host GEMM. {@code auto} (the default) takes a CBLAS library when {@link BlasLibrary} finds one,
 * else the Vector API GEMM when {@code jdk.incubator.vector} is in the boot layer (run with
 * {@code --add-modules jdk.incubator.vector}), else the scalar Java GEMM. {@code blas}, {@code java}
 * (vector when available, else scalar), {@code java-vector} and {@code java-scalar} force one; forcing one that is
 * unavailable fails with the reason. The choice comes from the runtime property {@value #OPTION}
 * ({@code RuntimeOptions.withProperty}), else the system property {@code -D}{@value #PROPERTY}.
 */
final class HostGemms {
    static final String OPTION = "host.gemm";
    static final String PROPERTY = "tandem.gemm";
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    private static volatile HostGemm vector;
    private static final HostGemm SCALAR = new ScalarGemm();
    private static volatile HostGemm blas;

    private HostGemms() {
    }

    /** The GEMM for {@code choice} (null or blank means the system property, else auto). */
    static HostGemm select(String choice) {
        String c = choice == null || choice.isBlank() ? System.getProperty(PROPERTY, "auto") : choice;
        return switch (c.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> {
                BlasLibrary.Status status = BlasLibrary.load();
                if (status.found()) {
                    yield blas(status);
                }
                String explicit = System.getProperty(BlasLibrary.PROPERTY, "").trim();
                if (!explicit.isEmpty() && !explicit.equals(BlasLibrary.NONE)) {
                    throw new InvalidArgumentException("host GEMM: " + status.reason());
                }
                yield java();
            }
            case "blas" -> {
                BlasLibrary.Status status = BlasLibrary.load();
                if (!status.found()) {
                    throw new InvalidArgumentException("host GEMM 'blas' is not available: " + status.reason());
                }
                yield blas(status);
            }
            case "java" -> java();
            case "java-vector" -> {
                if (!vectorApiAvailable()) {
                    throw new InvalidArgumentException("host GEMM 'java-vector' needs the " + VECTOR_MODULE
                            + " module: run java with --add-modules " + VECTOR_MODULE);
                }
                yield vectorGemm();
            }
            case "java-scalar" -> SCALAR;
            default -> throw new InvalidArgumentException("host GEMM must be auto, blas, java, java-vector or "
                    + "java-scalar, got '" + c + "' (" + OPTION + " / -D" + PROPERTY + ")");
        };
    }

    /**
     * The GEMM {@link #select select(null)} gives, chosen when the first product runs: for kernel front ends whose
     * work may never run (the simulated backend costs kernels without computing them), so nothing is loaded early.
     */
    static HostGemm deferred() {
        return new HostGemm() {
            private volatile HostGemm chosen;

            private HostGemm chosen() {
                HostGemm g = chosen;
                if (g == null) {
                    g = select(null);
                    chosen = g;
                }
                return g;
            }

            @Override
            public String description() {
                return chosen().description();
            }

            @Override
            public void matmul(KernelLauncher launcher, dev.tandem.runtime.Tensor a, boolean transposeA,
                               dev.tandem.runtime.Tensor b, boolean transposeB, dev.tandem.runtime.Tensor out) {
                chosen().matmul(launcher, a, transposeA, b, transposeB, out);
            }
        };
    }

    /** True when {@code jdk.incubator.vector} was resolved at startup. */
    static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    private static HostGemm java() {
        return vectorApiAvailable() ? vectorGemm() : SCALAR;
    }

    /** The Java GEMM for kernels' own small products on scratch arrays (attention's blocks). */
    static JavaGemm javaEngine() {
        return (JavaGemm) java();
    }

    private static HostGemm blas(BlasLibrary.Status status) {
        HostGemm g = blas;
        if (g == null) {
            synchronized (HostGemms.class) {
                if (blas == null) {
                    blas = new BlasGemm(status);
                }
                g = blas;
            }
        }
        return g;
    }

    /** Loaded reflectively, so nothing links against the incubator module unless it is present. */
    private static HostGemm vectorGemm() {
        HostGemm g = vector;
        if (g == null) {
            synchronized (HostGemms.class) {
                if (vector == null) {
                    try {
                        vector = (HostGemm) Class.forName("dev.tandem.runtime.host.VectorGemm")
                                .getDeclaredConstructor().newInstance();
                    } catch (ReflectiveOperationException | LinkageError e) {
                        vector = SCALAR;
                    }
                }
                g = vector;
            }
        }
        return g;
    }
}
