package dev.tandem.deepseek.cost;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

/** Measures a device's matmul rate, so that FLOP-based stage estimates are in real time units on any backend. */
public final class ComputeRate {
    private ComputeRate() {
    }

    /**
     * FLOP/s of a {@code m x k x n} linear layer on {@code device}, best of a few runs after a warm-up.
     *
     * @param device the device to measure
     * @param m      rows of the input
     * @param k      input features
     * @param n      output features
     * @return the best measured rate in FLOP/s ({@code 2 m k n} FLOPs per run)
     */
    public static double measure(Device device, int m, int k, int n) {
        try (Stream stream = device.createStream("calibration")) {
            Tensor a = Tensor.allocate(device, stream, DType.F32, m, k);
            Tensor w = Tensor.allocate(device, stream, DType.F32, n, k);
            Tensor out = Tensor.allocate(device, stream, DType.F32, m, n);
            try {
                device.kernels().fill(stream, a, 0.5);
                device.kernels().fill(stream, w, 0.25);
                long best = Long.MAX_VALUE;
                for (int i = 0; i < 5; i++) {
                    stream.synchronize();
                    long start = System.nanoTime();
                    device.kernels().linear(stream, a, w, out);
                    stream.synchronize();
                    best = Math.min(best, System.nanoTime() - start);
                }
                return 2.0 * m * k * n / (Math.max(best, 1) / 1e9);
            } finally {
                a.buffer().close();
                w.buffer().close();
                out.buffer().close();
            }
        }
    }
}
