package dev.tandem.ascend.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Row 14: files that exist are not enough; the backend reports why loading them fails. */
class AscendLibrariesTest {

    @Test
    void aLibraryThatDoesNotLoadIsTheReasonWithTheLoadersMessage(@TempDir Path dir) throws Exception {
        Path acl = Files.writeString(dir.resolve("libascendcl.so"), "not an ELF file");
        var found = new AscendLibraries.Discovery(List.of(acl), false, "");
        String reason = AscendLibraries.tryLoad(found, "/opt/opp");
        assertThat(reason).contains("loading " + acl + " failed").contains("LD_LIBRARY_PATH");
    }

    @Test
    void aCannInstallationWithoutAscendOppPathIsUnavailable(@TempDir Path dir) throws Exception {
        Path acl = Files.writeString(dir.resolve("libascendcl.so"), "");
        var found = new AscendLibraries.Discovery(List.of(acl), false, "");
        assertThat(AscendLibraries.tryLoad(found, null)).contains("ASCEND_OPP_PATH").contains("561107");
        var none = new AscendLibraries.Discovery(List.of(), false, "no CANN installation: looked for x");
        assertThat(AscendLibraries.tryLoad(none, "/opt/opp")).isEqualTo("no CANN installation: looked for x");
    }
}
