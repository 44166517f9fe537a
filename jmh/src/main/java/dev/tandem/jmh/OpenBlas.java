package dev.tandem.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * OpenBLAS's {@code cblas_sgemm} and thread setting through FFM, as the optimised-BLAS reference the host GEMM
 * is compared with. The library is the system's (on Debian: {@code apt-get install libopenblas0-pthread}).
 */
final class OpenBlas {
    static final int ROW_MAJOR = 101;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;

    private final MethodHandle sgemm;
    private final MethodHandle setThreads;

    private OpenBlas(SymbolLookup lookup) {
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        this.sgemm = linker.downcallHandle(find(lookup, "cblas_sgemm"), FunctionDescriptor.ofVoid(i, i, i, i, i, i,
                f, ValueLayout.ADDRESS, i, ValueLayout.ADDRESS, i, f, ValueLayout.ADDRESS, i));
        this.setThreads = linker.downcallHandle(find(lookup, "openblas_set_num_threads"), FunctionDescriptor.ofVoid(i));
    }

    /** Loads {@code library} (a name the dynamic loader resolves, or a path) or says what to install. */
    static OpenBlas load(String library) {
        try {
            return new OpenBlas(SymbolLookup.libraryLookup(library, Arena.global()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot load OpenBLAS '" + library + "' (" + e.getMessage() + "); install it "
                    + "(Debian: apt-get install libopenblas0-pthread) or pass -p blas=/path/to/libopenblas.so", e);
        }
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("OpenBLAS has no " + name));
    }

    void threads(int n) throws Throwable {
        setThreads.invokeExact(n);
    }

    /** {@code c[m,n] = a[m,k] x b[n,k]^T}, row-major: the shape of a linear layer. */
    void linear(int m, int n, int k, MemorySegment a, MemorySegment b, MemorySegment c) throws Throwable {
        sgemm.invokeExact(ROW_MAJOR, NO_TRANS, TRANS, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    }
}
