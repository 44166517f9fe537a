package dev.tandem.runtime.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Devices that share compute units ({@link HardwareProfile#aloneSpeedup()} {@code s > 0}; the host's devices share
 * the CPU's cores): a kernel runs at the profile's rates while every other device computes too, and up to
 * {@code 1 + s} times faster while fewer do, at rate {@code (1 + s) / (1 + s b / (n - 1))} with {@code b} of the other
 * {@code n - 1} devices computing.
 *
 * <p>A kernel's speed thus depends on what the other devices run at the same virtual time, which a device's own
 * timeline cannot know when its kernel resolves. {@link SimRuntime#rehearseAndRun} therefore runs a step twice: the
 * rehearsal charges every kernel at the all-busy rates and records when each device computes; the second run charges
 * each kernel, matched by its order of issue on its device, what its rehearsed interval costs at the rates above.
 * First-order: the second run's own intervals are not fed back (a kernel that speeds up may shorten another device's
 * wait, not its work). Guarded by the runtime lock.
 */
final class ComputeSharing {
    private final double speedup;
    private final int devices;
    /** Kernels issued per device since the last rehearsal began or ended. */
    private final int[] issued;
    /** Per device, the rehearsal's kernel intervals {start, end} by issue index; null outside a rehearsal. */
    private List<List<long[]>> rehearsed;
    /** Per device, the cost factor of each kernel of the run after a rehearsal, by issue index; null: none. */
    private double[][] factors;

    ComputeSharing(double speedup, int devices) {
        this.speedup = speedup;
        this.devices = devices;
        this.issued = new int[devices];
    }

    /** The issue index of the next kernel of {@code device}; -1 outside a rehearsal and the run after it. */
    int issue(int device) {
        return rehearsed == null && factors == null ? -1 : issued[device]++;
    }

    /** The cost factor of kernel {@code index} of {@code device}: 1 unless a rehearsal armed one. */
    double factor(int device, int index) {
        double[] f = factors == null || index < 0 ? null : factors[device];
        return f == null || index >= f.length ? 1 : f[index];
    }

    /** Kernel {@code index} of {@code device} resolved to [start, end]. */
    void resolved(int device, int index, long start, long end) {
        if (rehearsed == null) {
            return;
        }
        List<long[]> list = rehearsed.get(device);
        while (list.size() <= index) {
            list.add(null);
        }
        list.set(index, new long[] {start, end});
    }

    /** A rehearsal begins: kernels run at the all-busy rates and are recorded. */
    void beginRehearsal() {
        factors = null;
        rehearsed = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            rehearsed.add(new ArrayList<>());
        }
        Arrays.fill(issued, 0);
    }

    /** The rehearsal ended: arms the factors for the next run's kernels. */
    void endRehearsal() {
        factors = factors(rehearsed);
        rehearsed = null;
        Arrays.fill(issued, 0);
    }

    /** The run after the rehearsal ended (or the rehearsal failed): kernels run at the all-busy rates again. */
    void disarm() {
        factors = null;
        rehearsed = null;
        Arrays.fill(issued, 0);
    }

    /**
     * Each kernel's cost at the shared rates over its rehearsed interval, over the interval's length: the integral
     * of {@code (1 + s (B(t) - 1) / (n - 1)) / (1 + s)} with {@code B(t)} the devices computing at {@code t} (the
     * kernel's own among them), taken from a prefix integral over the sweep of every device's intervals.
     */
    private double[][] factors(List<List<long[]>> intervals) {
        List<long[]> edges = new ArrayList<>();   // {time, device, +1 or -1}
        for (int d = 0; d < devices; d++) {
            for (long[] iv : intervals.get(d)) {
                if (iv != null && iv[1] > iv[0]) {
                    edges.add(new long[] {iv[0], d, 1});
                    edges.add(new long[] {iv[1], d, -1});
                }
            }
        }
        edges.sort((a, b) -> Long.compare(a[0], b[0]));
        // times[i] and area[i]: the prefix integral at each distinct edge time
        long[] times = new long[edges.size() + 1];
        double[] area = new double[edges.size() + 1];
        int[] running = new int[devices];
        int busy = 0;
        int points = 0;
        double weight = 0;
        for (long[] e : edges) {
            if (points == 0 || times[points - 1] != e[0]) {
                area[points] = points == 0 ? 0 : area[points - 1] + weight * (e[0] - times[points - 1]);
                times[points++] = e[0];
            }
            int d = (int) e[1];
            boolean was = running[d] > 0;
            running[d] += (int) e[2];
            busy += (running[d] > 0 ? 1 : 0) - (was ? 1 : 0);
            weight = busy == 0 ? 0 : (1 + speedup * (busy - 1) / (devices - 1)) / (1 + speedup);
        }
        double[][] out = new double[devices][];
        for (int d = 0; d < devices; d++) {
            List<long[]> list = intervals.get(d);
            out[d] = new double[list.size()];
            for (int k = 0; k < list.size(); k++) {
                long[] iv = list.get(k);
                out[d][k] = iv == null || iv[1] <= iv[0] ? 1
                        : (prefix(times, area, points, iv[1]) - prefix(times, area, points, iv[0])) / (iv[1] - iv[0]);
            }
        }
        return out;
    }

    /** The prefix integral at an edge time {@code t} (every interval's ends are edges). */
    private static double prefix(long[] times, double[] area, int points, long t) {
        int i = Arrays.binarySearch(times, 0, points, t);
        return area[i];
    }
}
