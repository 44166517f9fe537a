package dev.tandem.jmh.report;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MachineInfoTest {

    @Test
    void readsCpuModelAndMemoryFromProcText() {
        String cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\n";
        String meminfo = "MemTotal:       24684084 kB\nMemFree:         1000 kB\n";

        MachineInfo info = MachineInfo.fromProc(cpuinfo, meminfo, 2, "Linux 6.1 amd64");

        assertThat(info.describe()).isEqualTo("AMD EPYC 7B13, 2 cores, 23.5 GiB memory, Linux 6.1 amd64");
    }

    @Test
    void missingProcFilesReadAsUnknown() {
        assertThat(MachineInfo.fromProc("", "", 1, "Mac OS X 15 aarch64").describe())
                .isEqualTo("unknown CPU, 1 core, unknown memory, Mac OS X 15 aarch64");
    }
}
