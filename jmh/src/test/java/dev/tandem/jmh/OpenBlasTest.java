package dev.tandem.jmh;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The BLAS reference computes what the host GEMM computes (skipped where OpenBLAS is not installed). */
class OpenBlasTest {

    @Test
    void cblasLinearMatchesANaiveLoop() throws Throwable {
        OpenBlas blas;
        try {
            blas = OpenBlas.load("libopenblas.so.0");
        } catch (IllegalStateException e) {
            Assumptions.abort("OpenBLAS not installed: " + e.getMessage());
            return;
        }
        int m = 3;
        int n = 4;
        int k = 5;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4L * m * k);
            MemorySegment b = arena.allocate(4L * n * k);
            MemorySegment c = arena.allocate(4L * m * n);
            for (int i = 0; i < m * k; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f - 2);
            }
            for (int i = 0; i < n * k; i++) {
                b.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1 - i * 0.25f);
            }
            blas.threads(1);
            blas.linear(m, n, k, a, b, c);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float expected = 0;
                    for (int x = 0; x < k; x++) {
                        expected += a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * k + x)
                                * b.getAtIndex(ValueLayout.JAVA_FLOAT, (long) j * k + x);
                    }
                    assertThat(c.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j)).isCloseTo(expected, within(1e-4f));
                }
            }
        }
    }

    @Test
    void aMissingLibrarySaysWhatToInstall() {
        assertThatThrownBy(() -> OpenBlas.load("/nonexistent/libopenblas.so")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("libopenblas0-pthread");
    }
}
