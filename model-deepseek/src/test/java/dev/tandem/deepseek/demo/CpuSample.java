package dev.tandem.deepseek.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's busy CPU time (all cores, steal included, from {@code /proc/stat}) and this process's, so that
 * what other processes used in between can be told from what the check itself used (a load average counts the
 * check's own threads and the tests before it).
 */
record CpuSample(long busyNanos, long processNanos, long wallNanos) {
    /** Linux's USER_HZ, the unit of {@code /proc/stat}. */
    private static final long TICK_NANOS = 10_000_000;

    static CpuSample now() {
        try {
            String[] all = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...: everything but idle and iowait
            long busy = 0;
            for (int i = 1; i <= 8 && i < all.length; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(all[i]);
                }
            }
            // /proc/self/stat: pid (comm) state ... utime stime (fields 14 and 15), after the command's ')'
            String self = Files.readString(Path.of("/proc/self/stat"));
            String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
            long process = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return new CpuSample(busy * TICK_NANOS, process * TICK_NANOS, System.nanoTime());
        } catch (IOException | RuntimeException e) {
            return new CpuSample(-1, -1, System.nanoTime());   // not Linux: the rule does not apply
        }
    }

    /** Cores used by everything but this process from this sample to {@code later}; 0 where unknown. */
    double othersCores(CpuSample later) {
        if (busyNanos < 0 || later.busyNanos < 0 || processNanos < 0 || later.processNanos < 0) {
            return 0;
        }
        long others = (later.busyNanos - busyNanos) - (later.processNanos - processNanos);
        return Math.max(0, others) / (double) Math.max(1, later.wallNanos - wallNanos);
    }
}
