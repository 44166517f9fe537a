package dev.tandem.jmh;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** libc's {@code abs} as static final downcall handles, the form jextract generates, so the JIT sees constants. */
final class LibcDowncalls {
    private static final FunctionDescriptor INT_INT = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final MemorySegment ABS_SYMBOL = Linker.nativeLinker().defaultLookup().find("abs")
            .orElseThrow(() -> new IllegalStateException("libc has no abs"));

    static final MethodHandle ABS = Linker.nativeLinker().downcallHandle(ABS_SYMBOL, INT_INT);
    static final MethodHandle ABS_CRITICAL =
            Linker.nativeLinker().downcallHandle(ABS_SYMBOL, INT_INT, Linker.Option.critical(false));

    private LibcDowncalls() {
    }
}
