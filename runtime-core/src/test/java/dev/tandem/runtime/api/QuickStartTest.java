package dev.tandem.runtime.api;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's quick start, verbatim, so that it keeps compiling and working. */
class QuickStartTest {

    @Test
    void readmeQuickStartRuns() {
        float[] result;
        try (TandemRuntime rt = TandemRuntime.open()) {
            Device dev = rt.device(0);
            Stream compute = dev.createStream(StreamOptions.compute("compute"));
            Tensor x = Tensor.allocate(dev, compute, DType.F32, 2, 3);
            Tensor w = Tensor.allocate(dev, compute, DType.F32, 4, 3);
            Tensor y = Tensor.allocate(dev, compute, DType.F32, 2, 4);
            compute.upload(new float[]{1, 2, 3, 4, 5, 6}, x);
            dev.kernels().fill(compute, w, 0.5);
            dev.kernels().linear(compute, x, w, y);
            float[] out = compute.readFloats(y);
            result = out;
        }
        assertThat(result).containsExactly(3, 3, 3, 3, 7.5f, 7.5f, 7.5f, 7.5f);
    }
}
