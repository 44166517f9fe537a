package dev.tandem.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The ABI emulator's {@code aclrtGetSocName} as static final downcall handles (the form jextract generates, so the
 * JIT sees constants). Static finals cannot take a JMH parameter, so {@link FfmDowncallBenchmarks.Emulator} passes
 * the library path in a system property that this class reads once, when it is first initialised.
 */
final class EmulatorDowncalls {
    /** A compile-time constant: reading it does not initialise the class. */
    static final String PROPERTY = "tandem.jmh.emulator";
    private static final FunctionDescriptor POINTER = FunctionDescriptor.of(ValueLayout.ADDRESS);
    private static final MemorySegment SYMBOL = symbol(Path.of(System.getProperty(PROPERTY)));

    static final MethodHandle SOC_NAME = Linker.nativeLinker().downcallHandle(SYMBOL, POINTER);
    static final MethodHandle SOC_NAME_CRITICAL =
            Linker.nativeLinker().downcallHandle(SYMBOL, POINTER, Linker.Option.critical(false));

    /** The emulator's C loop that calls {@code aclrtGetSocName} directly, {@code times} times (a test-only export). */
    static final MethodHandle DIRECT_LOOP = Linker.nativeLinker().downcallHandle(
            lookup(Path.of(System.getProperty(PROPERTY)), "tandemEmuDirectSocNameCalls"),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), Linker.Option.critical(false));

    private EmulatorDowncalls() {
    }

    /** The global arena keeps the library loaded for the JVM's lifetime; nothing else is allocated. */
    private static MemorySegment symbol(Path library) {
        return lookup(library, "aclrtGetSocName");
    }

    private static MemorySegment lookup(Path library, String name) {
        return SymbolLookup.libraryLookup(library, Arena.global()).find(name)
                .orElseThrow(() -> new IllegalStateException(library + " has no " + name));
    }
}
