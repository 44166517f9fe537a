package dev.tandem.runtime.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The example keeps running: a tiny configuration, checked for its trace. */
class OverlapExampleTest {

    @Test
    void runsAndWritesATrace(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("trace.json");
        OverlapExample.main(new String[] {"2", "16", "1", "10", trace.toString()});
        assertThat(trace).exists();
        assertThat(Files.readString(trace)).contains("allReduce");
    }
}
