package dev.tandem.deepseek.demo;

import java.util.Locale;

/** What the demo measured, and the table it prints. */
record DemoResult(OverlapDemo.Measured sequential, OverlapDemo.Measured overlapped, boolean identical,
                  int microBatches) {

    /** C and M come from the sequential run, where nothing overlaps them. */
    double idealSpeedup() {
        return sequential.report().idealSpeedup();
    }

    double speedup() {
        return (double) sequential.medianNanos() / overlapped.medianNanos();
    }

    String table() {
        var seq = sequential.report();
        var dbo = overlapped.report();
        StringBuilder sb = new StringBuilder();
        sb.append("| schedule | forward (median) | speed-up | ideal (C+M)/max(C,M) | compute C | comm M | comm hidden | result |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        sb.append(String.format(Locale.ROOT, "| sequential | %.1f ms | 1.00x | | %.1f ms | %.1f ms | %.0f%% | reference |%n",
                sequential.medianNanos() / 1e6, seq.meanComputeNanos() / 1e6, seq.meanCommNanos() / 1e6,
                seq.hiddenPercent()));
        sb.append(String.format(Locale.ROOT, "| dbo (%d micro-batches) | %.1f ms | %.2fx | %.2fx | %.1f ms | %.1f ms | %.0f%% | %s |%n",
                microBatches, overlapped.medianNanos() / 1e6, speedup(), idealSpeedup(), dbo.meanComputeNanos() / 1e6,
                dbo.meanCommNanos() / 1e6, dbo.hiddenPercent(), identical ? "bitwise identical" : "DIFFERENT"));
        return sb.toString();
    }
}
