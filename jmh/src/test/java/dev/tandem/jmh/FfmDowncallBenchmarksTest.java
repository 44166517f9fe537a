package dev.tandem.jmh;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The downcalls return what the C functions return; the emulator part needs runtime-ascend built first. */
class FfmDowncallBenchmarksTest {
    /** Where runtime-ascend's build leaves the emulator; tests run in the jmh module's directory. */
    private static final Path EMULATOR = Path.of("../runtime-ascend/target/libascend_emulator.so");

    private final FfmDowncallBenchmarks bench = new FfmDowncallBenchmarks();

    @Test
    void libcAndJavaCallsComputeAbs() throws Throwable {
        assertThat(bench.javaCallNotInlined()).isEqualTo(7);
        assertThat(bench.libcAbs()).isEqualTo(7);
        assertThat(bench.libcAbsCritical()).isEqualTo(7);
    }

    @Test
    void emulatorDowncallsReturnTheSocName() throws Throwable {
        // A full reactor build makes the emulator before this module; a build of jmh alone may not have it.
        assumeTrue(Files.isRegularFile(EMULATOR), "runtime-ascend's emulator is not built");
        FfmDowncallBenchmarks.Emulator lib = new FfmDowncallBenchmarks.Emulator();
        lib.emulator = EMULATOR.toString();
        lib.open();

        assertThat(bench.emulatorGetSocName(lib).reinterpret(64).getString(0)).isEqualTo("TandemEmulator");
        assertThat(bench.emulatorGetSocNameCritical(lib).reinterpret(64).getString(0)).isEqualTo("TandemEmulator");
    }

    @Test
    void aMissingEmulatorSaysHowToBuildIt() {
        FfmDowncallBenchmarks.Emulator lib = new FfmDowncallBenchmarks.Emulator();
        lib.emulator = "no/such/libascend_emulator.so";

        assertThatThrownBy(lib::open).hasMessageContaining("no ABI emulator at").hasMessageContaining("process-test-classes");
    }
}
