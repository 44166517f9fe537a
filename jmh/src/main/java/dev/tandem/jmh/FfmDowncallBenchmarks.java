package dev.tandem.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The cost of one FFM downcall, the way runtime-ascend reaches AscendCL. Three steps separate the parts: a Java
 * call that is not inlined (the floor), libc's {@code abs} (FFM's own transition around a trivial C function), and
 * the ABI emulator's {@code aclrtGetSocName} (transition plus the emulator's per-call bookkeeping: a mutex and a
 * call-count lookup by name). Each downcall is also measured with {@code Linker.Option.critical}, which skips the
 * thread-state transition and is allowed only for short calls that never block for long or call back into Java.
 * {@code emulatorGetSocNameFromC} calls the same emulator function directly from C, the baseline an FFM downcall
 * is compared with. The emulator is a CPU test fixture, so none of this is the cost of a call into real CANN.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class FfmDowncallBenchmarks {
    private int argument = -7;

    /** The emulator library, in a state of its own so that only the emulator's benchmarks carry the parameter. */
    @State(Scope.Thread)
    public static class Emulator {
        /**
         * Relative to the working directory (run-benchmarks.sh runs from the repository root). The runtime-ascend
         * build makes it for its tests: {@code mvn -B -ntp -pl runtime-ascend -am process-test-classes}.
         */
        @Param({"runtime-ascend/target/libascend_emulator.so"})
        public String emulator;

        /** Loads the library once per JVM (JMH forks per parameter value, so a fork sees one path). */
        @Setup(Level.Trial)
        public void open() {
            Path library = Path.of(emulator).toAbsolutePath();
            if (!Files.isRegularFile(library)) {
                throw new IllegalStateException("no ABI emulator at " + library + "; build it with "
                        + "`mvn -B -ntp -pl runtime-ascend -am process-test-classes` from the repository root, "
                        + "or pass -p emulator=/path/to/libascend_emulator.so");
            }
            String previous = System.setProperty(EmulatorDowncalls.PROPERTY, library.toString());
            if (previous != null && !previous.equals(library.toString())) {
                throw new IllegalStateException("the emulator is already loaded from " + previous);
            }
            // Reading a field initialises the handles with the path just set.
            Objects.requireNonNull(EmulatorDowncalls.SOC_NAME);
        }
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static int javaAbs(int x) {
        return Math.abs(x);
    }

    /** The floor: a Java call the JIT may not inline, with abs's signature. */
    @Benchmark
    public int javaCallNotInlined() {
        return javaAbs(argument);
    }

    @Benchmark
    public int libcAbs() throws Throwable {
        return (int) LibcDowncalls.ABS.invokeExact(argument);
    }

    @Benchmark
    public int libcAbsCritical() throws Throwable {
        return (int) LibcDowncalls.ABS_CRITICAL.invokeExact(argument);
    }

    @Benchmark
    public MemorySegment emulatorGetSocName(Emulator lib) throws Throwable {
        return (MemorySegment) EmulatorDowncalls.SOC_NAME.invokeExact();
    }

    @Benchmark
    public MemorySegment emulatorGetSocNameCritical(Emulator lib) throws Throwable {
        return (MemorySegment) EmulatorDowncalls.SOC_NAME_CRITICAL.invokeExact();
    }

    private static final int DIRECT_CALLS = 1000;

    /**
     * The baseline: the same emulator function called directly from C (a loop inside the emulator, through a
     * function pointer so it is not inlined); one downcall per 1000 C calls, so the score is the C call's cost.
     */
    @Benchmark
    @OperationsPerInvocation(DIRECT_CALLS)
    public long emulatorGetSocNameFromC(Emulator lib) throws Throwable {
        return (long) EmulatorDowncalls.DIRECT_LOOP.invokeExact(DIRECT_CALLS);
    }
}
