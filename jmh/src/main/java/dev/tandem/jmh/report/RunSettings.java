package dev.tandem.jmh.report;

/** How JMH ran a benchmark, as recorded in its results: the JVM and the fork / iteration settings. */
public record RunSettings(String jdkVersion, String vmName, String vmVersion, int forks,
                          int warmupIterations, String warmupTime, int measurementIterations, String measurementTime) {

    /** E.g. {@code 25.0.3 (OpenJDK 64-Bit Server VM 25.0.3+9-LTS)}. */
    public String jdk() {
        return jdkVersion + " (" + vmName + " " + vmVersion + ")";
    }

    /** E.g. {@code 1 fork, 1 x 1 s warm-up, 2 x 1 s measurement}. */
    public String iterations() {
        return forks + (forks == 1 ? " fork, " : " forks, ")
                + warmupIterations + " x " + warmupTime + " warm-up, "
                + measurementIterations + " x " + measurementTime + " measurement";
    }
}
