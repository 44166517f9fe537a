package dev.tandem.ascend;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every function on the jextract allow-lists (i.e. every function we bind) must have been called at least once
 * by the test run, counted by the emulator. Runs after every other test class (see junit-platform.properties).
 */
@Tag("emulator")
@Order(Integer.MAX_VALUE)
class BoundFunctionCoverageTest {

    static List<String> boundFunctions() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("jextract"))) {
            return files.filter(p -> p.toString().endsWith(".allowlist"))
                    .flatMap(p -> {
                        try {
                            return Files.readAllLines(p).stream();
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .filter(line -> line.startsWith("--include-function "))
                    .map(line -> line.substring("--include-function ".length()).trim())
                    .sorted()
                    .toList();
        }
    }

    @Test
    void everyBoundFunctionWasCalled() throws IOException {
        List<String> functions = boundFunctions();
        assertThat(functions).hasSizeGreaterThan(100);
        Assumptions.assumeTrue(Emulator.calls("aclrtMemcpyAsync") > 0 && Emulator.calls("HcclAllReduce") > 0
                        && Emulator.calls("aclnnMatmul") > 0,
                "only meaningful after the whole suite ran in this JVM");
        List<String> never = functions.stream().filter(f -> Emulator.calls(f) == 0).toList();
        assertThat(never).as("bound functions no test called").isEmpty();
    }
}
