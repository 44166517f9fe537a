package dev.tandem.jmh.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The machine a report describes: CPU model, cores, memory and OS, read from /proc where Linux has it. */
public record MachineInfo(String cpuModel, int cores, long memoryBytes, String os) {

    /** This machine; parts /proc does not offer (other OSes, some ARM kernels) read as "unknown". */
    public static MachineInfo detect() {
        return fromProc(readOrEmpty(Path.of("/proc/cpuinfo")), readOrEmpty(Path.of("/proc/meminfo")),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    }

    /**
     * From the text of /proc/cpuinfo and /proc/meminfo. Cores are the JVM's available processors, which respect
     * container limits that /proc/cpuinfo does not show.
     */
    public static MachineInfo fromProc(String cpuinfo, String meminfo, int cores, String os) {
        String model = field(cpuinfo, "model name");
        long memKb = -1;
        String mem = field(meminfo, "MemTotal");
        if (mem != null && mem.endsWith(" kB")) {
            try {
                memKb = Long.parseLong(mem.substring(0, mem.length() - 3).trim());
            } catch (NumberFormatException ignored) {
                // leave it unknown
            }
        }
        return new MachineInfo(model == null ? "unknown CPU" : model, cores, memKb < 0 ? -1 : memKb * 1024, os);
    }

    /** E.g. {@code AMD EPYC, 2 cores, 23.5 GiB memory, Linux 6.1.0 amd64}. */
    public String describe() {
        String memory = memoryBytes < 0 ? "unknown memory"
                : String.format(Locale.ROOT, "%.1f GiB memory", memoryBytes / (1024.0 * 1024 * 1024));
        return cpuModel + ", " + cores + (cores == 1 ? " core, " : " cores, ") + memory + ", " + os;
    }

    /** The value of the first {@code name : value} line, or null. */
    private static String field(String text, String name) {
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
