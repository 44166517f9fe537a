package dev.tandem.jmh.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The hand-written JMH results sample in the test resources. */
final class Samples {
    static final String RESULTS = "jmh-results.json";

    private Samples() {
    }

    static String text(String name) {
        try (InputStream in = Samples.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static MachineInfo machine() {
        return new MachineInfo("Test CPU 9000", 2, 24L << 30, "Linux 6.1 amd64");
    }
}
