package dev.tandem.ascend;

import dev.tandem.ascend.internal.AscendLibraries;
import dev.tandem.ascend.internal.Hc;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.EventOptions;
import dev.tandem.runtime.ReduceOp;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.json.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bring-up self-test for a new machine ({@code runtime-ascend/bin/doctor}). It reports versions, devices, memory,
 * HCCL's config capability and where the libraries were loaded from; runs every operator once per device against the
 * host backend, events and timing, a host callback, and 2-device collectives driven from one thread per rank; prints
 * a table, optionally writes {@code --json FILE}, and exits 1 naming the first failure and its likely cause.
 *
 * <pre>
 *   doctor [--emulator LIB] [--json FILE] [--devices N]
 * </pre>
 * {@code --devices N} checks the first N devices only (default: all visible).
 */
public final class Doctor {
    /** One line of the report. */
    record Check(String name, String device, String status, long micros, String detail, String cause) {
        boolean failed() {
            return status.equals("FAIL");
        }
    }

    private final List<Check> checks = new ArrayList<>();
    private final PrintStream out;
    private int visibleDevices;

    private Doctor(PrintStream out) {
        this.out = out;
    }

    /**
     * Runs the self-test and exits the JVM with its exit code (see {@link #run(String[], PrintStream)}).
     *
     * @param args the command line: {@code [--emulator LIB] [--json FILE] [--devices N]}
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /**
     * Runs the self-test, printing the report to {@code out}.
     *
     * @param args the command line: {@code [--emulator LIB] [--json FILE] [--devices N]}
     * @param out  where the table, usage and failure causes are printed
     * @return the exit code: 0 when all checks passed or were skipped, 1 when a check failed or the JSON file could
     *         not be written, 2 for bad arguments
     */
    public static int run(String[] args, PrintStream out) {
        Path json = null;
        int wanted = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--emulator" -> System.setProperty(AscendLibraries.EMULATOR_PROPERTY, args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                case "--devices" -> wanted = Integer.parseInt(args[++i]);
                default -> {
                    out.println("usage: doctor [--emulator LIB] [--json FILE] [--devices N]   (unknown: " + args[i] + ")");
                    return 2;
                }
            }
        }
        Doctor d = new Doctor(out);
        d.runAll(wanted);
        d.printTable();
        if (json != null) {
            try {
                Files.writeString(json, d.json());
            } catch (IOException e) {
                out.println("cannot write " + json + ": " + e.getMessage());
                return 1;
            }
        }
        for (Check c : d.checks) {
            if (c.failed()) {
                out.println();
                out.println("FIRST FAILURE: " + c.name() + (c.device().isEmpty() ? "" : " on device " + c.device()) + ": " + c.detail());
                out.println("LIKELY CAUSE:  " + c.cause());
                return 1;
            }
        }
        out.println();
        out.println("all checks passed");
        return 0;
    }

    // ---- the checks ----

    private void runAll(int wanted) {
        AscendLibraries.Discovery found = AscendLibraries.discover();
        add(new Check("java", "", "INFO", 0, System.getProperty("java.vm.name") + " " + Runtime.version(), ""));
        for (String v : List.of("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME", "ASCEND_OPP_PATH", "LD_LIBRARY_PATH",
                "ASCEND_RT_VISIBLE_DEVICES")) {
            String value = System.getenv(v);
            add(new Check("env " + v, "", "INFO", 0, value == null ? "(unset)" : value, ""));
        }
        add(new Check("libraries", "", found.found() ? "INFO" : "FAIL", 0,
                found.found() ? String.join(", ", found.libraries().stream().map(Path::toString).toList()) : found.reason(),
                "no CANN installation found: source <cann>/set_env.sh (sets ASCEND_HOME_PATH) or pass -Dtandem.ascend.home"));
        add(new Check("versions", "", "INFO", 0, versions(found), ""));
        String reason = AscendLibraries.probe();
        add(new Check("load", "", reason.isEmpty() ? "PASS" : "FAIL", 0, reason.isEmpty() ? "libraries loaded" : reason,
                reason.contains("ASCEND_OPP_PATH") ? "ASCEND_OPP_PATH unset: source set_env.sh before starting java"
                        : "a dependency of a CANN library did not resolve: put the CANN and driver lib64 folders on"
                        + " LD_LIBRARY_PATH before starting java (the loader reads it only at process start)"));
        if (!reason.isEmpty()) {
            return;
        }
        TandemRuntime rt;
        try {
            rt = TandemRuntime.open(RuntimeOptions.defaults().withBackend(AscendBackend.NAME).withDeviceCount(wanted));
        } catch (RuntimeException e) {
            fail("open runtime", "", e);
            return;
        }
        try (TandemRuntime host = TandemRuntime.open(RuntimeOptions.defaults().withBackend("host").withDeviceCount(1))) {
            visibleDevices = rt.devices().size();
            add(new Check("devices", "", "INFO", 0, visibleDevices + " visible", ""));
            add(new Check("hccl config capability", "", "INFO", 0, capability(), ""));
            for (Device d : rt.devices()) {
                timed("memory", d, () -> {
                    var m = d.memoryInfo();
                    return d.name() + ": " + (m.totalBytes() >> 20) + " MiB total, " + (m.freeBytes() >> 20) + " MiB free";
                });
                deviceChecks(d, host.device(0));
            }
            if (rt.devices().size() >= 2) {
                collectives(rt);
            } else {
                add(new Check("collectives", "", "SKIP", 0, "needs 2 devices, " + rt.devices().size() + " visible", ""));
            }
        } finally {
            try {
                rt.close();
            } catch (RuntimeException e) {
                fail("close runtime", "", e);
            }
        }
        if (checks.stream().noneMatch(Check::failed)) {
            dboLayer(wanted);
        }
    }

    /**
     * The DBO demo's MoE layer on 2 devices, dual-batch overlap checked bitwise against sequential: model-deepseek's
     * {@code OverlapDemo}, called by reflection because this module does not depend on it ({@code bin/doctor} puts
     * {@code model-deepseek/target/classes} on the class path when it was built).
     */
    private void dboLayer(int wanted) {
        Class<?> demo;
        try {
            demo = Class.forName("dev.tandem.deepseek.demo.OverlapDemo");
        } catch (ClassNotFoundException e) {
            add(new Check("dbo layer (2 ranks) vs sequential", "", "SKIP", 0,
                    "model-deepseek is not on the class path (build it; bin/doctor then adds its classes)", ""));
            return;
        }
        if (visibleDevices < 2 || wanted == 1) {
            add(new Check("dbo layer (2 ranks) vs sequential", "", "SKIP", 0, "needs 2 devices", ""));
            return;
        }
        timed("dbo layer (2 ranks) vs sequential", null, () -> {
            Path dir = Files.createTempDirectory("tandem-doctor-dbo");
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            PrintStream sink = new PrintStream(text, true);
            String[] args = {"--backend", AscendBackend.NAME, "--ranks", "2", "--preset", "tiny-v3", "--moe-layers", "1",
                    "--tokens", "16", "--requests", "2", "--micro-batches", "2", "--warmup", "0", "--iterations", "1",
                    "--out", dir.toString()};
            Object rc;
            try {
                rc = demo.getMethod("run", String[].class, PrintStream.class, PrintStream.class).invoke(null, args, sink, sink);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
            }
            String output = text.toString();
            if (!Integer.valueOf(0).equals(rc) || !output.contains("bitwise identical")) {
                String[] lines = output.strip().split("\n");
                throw new IllegalStateException("overlap demo exit " + rc + ": " + lines[lines.length - 1]);
            }
            return "tiny-v3, 1 MoE layer, 2 micro-batches: dual-batch overlap output bitwise identical to sequential";
        });
    }

    private void deviceChecks(Device d, Device host) {
        for (OperatorCheck op : OperatorCheck.all()) {
            for (DType dtype : op.dtypes()) {
                String name = "op " + op.name() + " " + dtype;
                long start = System.nanoTime();
                try {
                    float[] want = op.run(host, dtype);
                    float[] got = op.run(d, dtype);
                    String mismatch = OperatorCheck.compare(want, got, dtype);
                    add(new Check(name, String.valueOf(d.id()), mismatch == null ? "PASS" : "FAIL", micros(start),
                            mismatch == null ? want.length + " values match the host backend" : mismatch,
                            "the operator computes a different result than the host backend: check the CANN version"
                                    + " and the operator's dtype constraints on this SoC"));
                } catch (RuntimeException e) {
                    fail(name, String.valueOf(d.id()), e);
                }
            }
        }
        timed("events and timing", d, () -> {
            Stream s = d.createStream("doctor-events");
            try (Event a = d.createEvent(EventOptions.TIMING); Event b = d.createEvent(EventOptions.TIMING)) {
                Tensor t = Tensor.allocate(d, s, DType.F32, 64, 64);
                Tensor out = Tensor.allocate(d, s, DType.F32, 64, 64);
                s.record(a);
                d.kernels().matmul(s, t, t, out);
                s.record(b);
                b.synchronize();
                float ms = b.elapsedMillis(a);
                if (!(ms >= 0)) {
                    throw new IllegalStateException("elapsed time " + ms + " ms");
                }
                t.buffer().close();
                out.buffer().close();
                return String.format(Locale.ROOT, "matmul 64x64 took %.3f ms between events", ms);
            } finally {
                s.close();
            }
        });
        timed("host callback", d, () -> {
            Stream s = d.createStream("doctor-callback");
            try {
                AtomicBoolean ran = new AtomicBoolean();
                s.hostCallback(() -> ran.set(true));
                s.synchronize();
                if (!ran.get()) {
                    throw new IllegalStateException("the callback did not run before synchronize returned");
                }
                return "delivered in stream order";
            } finally {
                s.close();
            }
        });
    }

    private void collectives(TandemRuntime rt) {
        timed("collectives (2 ranks, one thread each)", null, () -> {
            List<Device> group = List.of(rt.device(0), rt.device(1));
            List<Communicator> comms = rt.createCommunicators(group);
            try {
                float[][] got = new float[2][];
                RuntimeException[] failures = new RuntimeException[2];
                List<Thread> threads = new ArrayList<>();
                for (int r = 0; r < 2; r++) {
                    int rank = r;
                    threads.add(Thread.ofPlatform().start(() -> {
                        Device dev = group.get(rank);
                        Stream s = dev.createStream("doctor-rank" + rank);
                        try {
                            Communicator c = comms.get(rank);
                            Tensor t = Tensor.allocate(dev, s, DType.F32, 4);
                            s.upload(new float[]{rank + 1, 2, 3, 4}, t);
                            c.allReduce(s, t, t, ReduceOp.SUM);
                            Tensor g = Tensor.allocate(dev, s, DType.F32, 8);
                            c.allGather(s, t, g);
                            Tensor sc = Tensor.allocate(dev, s, DType.F32, 4);
                            c.reduceScatter(s, g, sc, ReduceOp.MAX);
                            c.broadcast(s, sc, 1);
                            Tensor a2a = Tensor.allocate(dev, s, DType.F32, 4);
                            c.allToAll(s, sc, a2a);
                            c.barrier(s);
                            got[rank] = s.readFloats(a2a);
                        } catch (RuntimeException e) {
                            failures[rank] = e;
                        } finally {
                            s.close();
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
                for (RuntimeException f : failures) {
                    if (f != null) {
                        throw f;
                    }
                }
                // allReduce: [3,4,6,8]; allGather: [3,4,6,8,3,4,6,8]; reduceScatter MAX: rank0 [3,4,6,8], rank1 [3,4,6,8];
                // broadcast from 1: [3,4,6,8]; allToAll of chunks of 2: rank0 [3,4,3,4], rank1 [6,8,6,8]
                float[][] want = {{3, 4, 3, 4}, {6, 8, 6, 8}};
                for (int r = 0; r < 2; r++) {
                    if (!java.util.Arrays.equals(got[r], want[r])) {
                        throw new IllegalStateException("rank " + r + " got " + java.util.Arrays.toString(got[r])
                                + ", expected " + java.util.Arrays.toString(want[r]));
                    }
                }
                return "allReduce, allGather, reduceScatter, broadcast, allToAll, barrier agree";
            } finally {
                comms.forEach(Communicator::close);
            }
        });
    }

    // ---- reporting ----

    @FunctionalInterface
    private interface Step {
        String run() throws Exception;
    }

    private void timed(String name, Device d, Step step) {
        long start = System.nanoTime();
        String device = d == null ? "" : String.valueOf(d.id());
        try {
            String detail = step.run();
            add(new Check(name, device, "PASS", micros(start), detail, ""));
        } catch (Exception e) {
            fail(name, device, e);
        }
    }

    private void fail(String name, String device, Throwable e) {
        add(new Check(name, device, "FAIL", 0, e.getClass().getSimpleName() + ": " + e.getMessage(), likelyCause(e)));
    }

    private void add(Check c) {
        checks.add(c);
    }

    private static long micros(long startNanos) {
        return (System.nanoTime() - startNanos) / 1000;
    }

    /** The most probable environment problem behind a failure, from its code (never from its text). */
    static String likelyCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AscendNativeException n) {
                int code = n.code();
                if (code == 561107 || code == 561112) {
                    return "operator packages not found: ASCEND_OPP_PATH must point at <cann>/opp (source set_env.sh)";
                }
                if (code == 561003) {
                    return "no kernel for this operator and dtype on this SoC: install the matching CANN ops package";
                }
                if (code == 207004 || code == 107001) {
                    return "no usable device: check the driver (npu-smi info) and ASCEND_RT_VISIBLE_DEVICES";
                }
                if (n instanceof HcclException || code == 507048) {
                    return "HCCL: ranks did not meet (HCCL_CONNECT_TIMEOUT, HCCL_EXEC_TIMEOUT, HCCL_IF_IP, device links)";
                }
                if (n instanceof FeatureNotSupportedException) {
                    return "this CANN release, driver or SoC lacks the feature: compare the CANN version with README.md";
                }
                if (code >= 507000 && code < 508000) {
                    return "a device-side fault: check the driver version against the CANN version and the device log (plog)";
                }
                return "CANN returned " + n.codeName() + " " + code + " from " + n.function();
            }
            if (t instanceof UnsatisfiedLinkError) {
                return "a library did not load: LD_LIBRARY_PATH must list the CANN and driver lib64 folders";
            }
        }
        return "see the message; rerun with -Dtandem.ascend.home=<cann> to rule out a wrong installation";
    }

    private static String versions(AscendLibraries.Discovery found) {
        if (found.emulator()) {
            return "emulator (" + found.libraries() + ")";
        }
        List<String> parts = new ArrayList<>();
        for (Path lib : found.libraries()) {
            Path home = lib.getParent();
            for (int up = 0; up < 3 && home != null; up++, home = home.getParent()) {
                for (String f : List.of("version.cfg", "version.info")) {
                    Path p = home.resolve(f);
                    if (Files.isRegularFile(p)) {
                        parts.add("CANN " + firstVersionLine(p) + " (" + p + ")");
                    }
                }
                if (!parts.isEmpty()) {
                    break;
                }
            }
            break;
        }
        Path driver = Path.of("/usr/local/Ascend/driver/version.info");
        parts.add(Files.isRegularFile(driver) ? "driver " + firstVersionLine(driver) : "driver version.info not found");
        return String.join("; ", parts);
    }

    private static String firstVersionLine(Path p) {
        try {
            return Files.readAllLines(p).stream().filter(l -> l.toLowerCase(Locale.ROOT).contains("version"))
                    .findFirst().orElse("?").trim();
        } catch (IOException e) {
            return "unreadable";
        }
    }

    private static String capability() {
        int cap = Hc.HcclGetCommConfigCapability();
        return cap + " (config of " + Hc.configBytes(cap) + " bytes; exec timeout "
                + (Hc.supportsExecTimeout(cap) ? "configurable" : "only through HCCL_EXEC_TIMEOUT") + ")";
    }

    private void printTable() {
        int w = 10;
        for (Check c : checks) {
            w = Math.max(w, c.name().length());
        }
        String fmt = "%-" + w + "s  %-6s  %-6s  %9s  %s%n";
        out.printf(Locale.ROOT, fmt, "CHECK", "DEVICE", "STATUS", "TIME(us)", "DETAIL");
        for (Check c : checks) {
            out.printf(Locale.ROOT, fmt, c.name(), c.device(), c.status(), c.micros() == 0 ? "" : c.micros(), c.detail());
        }
    }

    private String json() {
        StringBuilder b = new StringBuilder("{\"checks\": [\n");
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            b.append("  {\"name\": ").append(quote(c.name())).append(", \"device\": ").append(quote(c.device()))
                    .append(", \"status\": ").append(quote(c.status())).append(", \"micros\": ").append(c.micros())
                    .append(", \"detail\": ").append(quote(c.detail())).append(", \"likelyCause\": ").append(quote(c.failed() ? c.cause() : ""))
                    .append(i + 1 < checks.size() ? "},\n" : "}\n");
        }
        Check first = checks.stream().filter(Check::failed).findFirst().orElse(null);
        b.append("], \"passed\": ").append(first == null).append(", \"firstFailure\": ")
                .append(first == null ? "null" : quote(first.name())).append("}\n");
        return b.toString();
    }

    private static String quote(String s) {
        return Json.quote(s);
    }
}
