package dev.tandem.runtime.host;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Kernels' scratch arrays are reused per thread and use, grow as needed, and large ones are not kept. */
class KernelScratchTest {

    @Test
    void aThreadGetsItsOwnArrayPerUseBackAndItGrowsWhenAsked() {
        float[] a = KernelScratch.floats(KernelScratch.Use.PRODUCT, 1000);
        assertThat(a.length).isGreaterThanOrEqualTo(1000);
        assertThat(KernelScratch.floats(KernelScratch.Use.PRODUCT, 10)).isSameAs(a);
        assertThat(KernelScratch.floats(KernelScratch.Use.PACKED, 10)).isNotSameAs(a);
        float[] grown = KernelScratch.floats(KernelScratch.Use.PRODUCT, a.length + 1);
        assertThat(grown).isNotSameAs(a).hasSizeGreaterThan(a.length);
        float[] elsewhere = CompletableFuture.supplyAsync(() -> KernelScratch.floats(KernelScratch.Use.PRODUCT, 10),
                r -> Thread.ofPlatform().start(r)).join();
        assertThat(elsewhere).isNotSameAs(grown);
    }

    @Test
    void arraysAboveTheLimitAreFreshEachTime() {
        int big = KernelScratch.MAX_KEPT + 1;
        float[] first = KernelScratch.floats(KernelScratch.Use.STORED, big);
        assertThat(first).hasSize(big);
        assertThat(KernelScratch.floats(KernelScratch.Use.STORED, big)).isNotSameAs(first);
    }
}
