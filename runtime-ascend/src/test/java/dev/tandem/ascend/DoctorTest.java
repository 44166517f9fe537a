package dev.tandem.ascend;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** CI runs the bring-up self-test the way a user does: {@code runtime-ascend/bin/doctor --emulator --json FILE}. */
@Tag("emulator")
class DoctorTest {

    @Test
    void doctorPassesOnTheEmulatorAndWritesItsTableAndJson(@TempDir Path dir) throws Exception {
        Path script = Path.of("bin/doctor").toAbsolutePath();
        Path json = dir.resolve("doctor.json");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "--emulator",
                System.getProperty(dev.tandem.ascend.internal.AscendLibraries.EMULATOR_PROPERTY), "--json", json.toString())
                .redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("TANDEM_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("TANDEM_EMU_DEVICES", "2");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("CHECK", "op matmul BF16", "op rope F32", "host callback", "events and timing",
                "collectives (2 ranks, one thread each)", "hccl config capability", "all checks passed");
        assertThat(output).doesNotContain("FAIL");
        String text = Files.readString(json);
        assertThat(text).contains("\"passed\": true", "\"firstFailure\": null", "\"name\": \"op topk indices I32\"");
    }

    @Test
    void aFailureIsNamedWithItsLikelyCauseAndANonZeroExit() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Emulator.failures("aclnnMatmul=561107");
        try {
            int rc = Doctor.run(new String[]{"--devices", "1"}, new java.io.PrintStream(bytes, true));
            String out = bytes.toString();
            assertThat(rc).as(out).isEqualTo(1);
            assertThat(out).contains("FIRST FAILURE: op matmul F32 on device 0").contains("ASCEND_OPP_PATH");
        } finally {
            Emulator.failures("");
        }
    }
}
