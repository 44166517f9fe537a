package dev.tandem.ascend;

import dev.tandem.ascend.internal.AscendLibraries;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The emulator's test-only exports: failure injection, switches and per-function call counts. */
final class Emulator {
    private static MethodHandle setFailures;
    private static MethodHandle callCount;
    private static MethodHandle configure;

    private Emulator() {
    }

    private static synchronized void init() {
        if (setFailures == null) {
            AscendLibraries.load();
            SymbolLookup lookup = SymbolLookup.loaderLookup();
            Linker linker = Linker.nativeLinker();
            setFailures = linker.downcallHandle(lookup.find("tandemEmuSetFailures").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            callCount = linker.downcallHandle(lookup.find("tandemEmuCallCount").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
            configure = linker.downcallHandle(lookup.find("tandemEmuConfigure").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        }
    }

    /** Replaces the injected failures ({@code TANDEM_EMU_FAIL} syntax); an empty spec clears them. */
    static void failures(String spec) {
        init();
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) setFailures.invokeExact(arena.allocateFrom(spec));
            if (rc != 0) {
                throw new IllegalStateException("tandemEmuSetFailures returned " + rc);
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets an emulator switch ("sync_event_limit", "hccl_config_capability", "copy_alignment", "connect_timeout_ms"). */
    static void configure(String key, long value) {
        init();
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) configure.invokeExact(arena.allocateFrom(key), value);
            if (rc != 0) {
                throw new IllegalStateException("tandemEmuConfigure returned " + rc);
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long calls(String function) {
        init();
        try (Arena arena = Arena.ofConfined()) {
            return (long) callCount.invokeExact(arena.allocateFrom(function));
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
