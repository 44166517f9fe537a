package dev.tandem.runtime.sim;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.Tensor;

import java.util.List;

/**
 * The host profile's measurements of single kernels at a job's shapes, every device running its own copy at once
 * (they share the CPU, as in a host run). Each kernel is timed at two sizes, so that its cost splits into a rate and
 * a fixed time per call: on a CPU a kernel of a few rows costs far more than its bytes at the bandwidth.
 */
final class HostKernelRates {
    /** Row counts element-wise kernels are timed at: a decode-sized and a prefill-sized call. */
    private static final int SMALL_ROWS = 32;
    private static final int LARGE_ROWS = 256;
    /** Query lengths attention is timed at. */
    private static final int SHORT = 64;
    private static final int LONG = 256;

    private HostKernelRates() {
    }

    /** A kernel prepared on one device: what it reads and writes (as its launch lists them) and what enqueues it. */
    private record Call(List<Tensor> reads, List<Tensor> writes, Runnable enqueue) {
    }

    /**
     * {@code kernel} (one of {@link HostProfile#ELEMENTWISE}) on rows of {@code width} features: bytes per
     * nanosecond as the cost model counts them, and the fixed time per call.
     */
    static KernelFit elementwise(TandemRuntime rt, int ranks, String kernel, int width) {
        double[] small = timePerCall(rt, ranks, kernel, width, SMALL_ROWS);
        double[] large = timePerCall(rt, ranks, kernel, width, LARGE_ROWS);
        return KernelFit.through(small[0], small[1], large[0], large[1]);
    }

    /** {bytes moved, nanoseconds} of one call of {@code kernel} at {@code rows} rows, all devices at once. */
    private static double[] timePerCall(TandemRuntime rt, int ranks, String kernel, int width, int rows) {
        int reps = rows == SMALL_ROWS ? 64 : 16;
        double[] bytes = new double[1];
        double nanos = HostProfile.timeOnAll(rt, ranks, (dev, s) -> {
            Call call = prepare(dev.kernels(), dev, s, kernel, width, rows);
            bytes[0] = CostModel.bytesMoved(kernel, call.reads(), call.writes(),
                    t -> (double) t.numel() * t.dtype().byteSize());
            s.synchronize();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    call.enqueue().run();
                }
            };
        });
        return new double[] {bytes[0], nanos / reps};
    }

    private static Call prepare(Kernels k, dev.tandem.runtime.Device dev, dev.tandem.runtime.Stream s, String kernel,
                                int width, int rows) {
        Tensor x = Tensor.allocate(dev, s, DType.F32, rows, width);
        k.fill(s, x, 0.5);
        return switch (kernel) {
            case "add" -> {
                Tensor out = Tensor.allocate(dev, s, DType.F32, rows, width);
                yield new Call(List.of(x, x), List.of(out), () -> k.add(s, x, x, out));
            }
            case "copy" -> {
                // as attention's output is copied back: heads-major to token-major, a strided read
                int heads = width % 8 == 0 ? 8 : 1;
                Tensor source = Tensor.allocate(dev, s, DType.F32, heads, rows, width / heads);
                k.fill(s, source, 0.5);
                Tensor view = source.transpose(0, 1);
                Tensor out = Tensor.allocate(dev, s, DType.F32, rows, heads, width / heads);
                yield new Call(List.of(view), List.of(out), () -> k.copy(s, view, out));
            }
            case "rmsNorm" -> {
                Tensor weight = Tensor.allocate(dev, s, DType.F32, width);
                k.fill(s, weight, 1);
                Tensor out = Tensor.allocate(dev, s, DType.F32, rows, width);
                yield new Call(List.of(x, weight), List.of(out), () -> k.rmsNorm(s, x, weight, 1e-6f, out));
            }
            case "rope" -> {
                int even = width - width % 2;
                Tensor in = x.slice(1, 0, even);
                Tensor positions = Tensor.allocate(dev, s, DType.I32, rows);
                Tensor frequencies = Tensor.allocate(dev, s, DType.F32, even / 2);
                k.fill(s, positions, 7);
                k.fill(s, frequencies, 0.01);
                Tensor out = Tensor.allocate(dev, s, DType.F32, rows, even);
                yield new Call(List.of(in, positions, frequencies), List.of(out),
                        () -> k.rope(s, in, positions, frequencies, out));
            }
            case "swiglu" -> {
                Tensor both = Tensor.allocate(dev, s, DType.F32, rows, 2L * width);
                k.fill(s, both, 0.5);
                Tensor out = Tensor.allocate(dev, s, DType.F32, rows, width);
                yield new Call(List.of(both), List.of(out), () -> k.swiglu(s, both, -1, out));
            }
            case "indexSelect" -> {
                int[] reversed = new int[rows];
                for (int i = 0; i < rows; i++) {
                    reversed[i] = rows - 1 - i;
                }
                Tensor indices = Tensor.allocate(dev, s, DType.I32, rows);
                s.upload(reversed, indices);
                Tensor out = Tensor.allocate(dev, s, DType.F32, rows, width);
                yield new Call(List.of(x, indices), List.of(out), () -> k.indexSelect(s, x, indices, out));
            }
            default -> throw new InvalidArgumentException("no host measurement for kernel '" + kernel + "'");
        };
    }

    /**
     * Fused causal attention of {@code job}'s heads over queries of {@link #SHORT} and {@link #LONG} tokens, each
     * attending to its own: the efficiency relative to what {@code atGemmRate} charges for its products, and the
     * fixed time per call.
     */
    static KernelFit attention(TandemRuntime rt, int ranks, HostWorkload job, CostModel atGemmRate) {
        double[] shortCall = attentionCall(rt, ranks, job, SHORT, atGemmRate);
        double[] longCall = attentionCall(rt, ranks, job, LONG, atGemmRate);
        // time = fixed + (nanos at the GEMM rate) / efficiency: the "rate" of the fit is the efficiency
        return KernelFit.through(shortCall[0], shortCall[1], longCall[0], longCall[1]);
    }

    /** {nanoseconds at the GEMM rate, measured nanoseconds} of one attention call over {@code n} tokens. */
    private static double[] attentionCall(TandemRuntime rt, int ranks, HostWorkload job, int n, CostModel atGemmRate) {
        int reps = n == SHORT ? 16 : 4;
        double[] priced = new double[1];
        double nanos = HostProfile.timeOnAll(rt, ranks, (dev, s) -> {
            Kernels k = dev.kernels();
            Tensor q = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.queryDim());
            Tensor keys = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.queryDim());
            Tensor v = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.valueDim());
            Tensor out = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.valueDim());
            k.fill(s, q, 0.01);
            k.fill(s, keys, 0.02);
            k.fill(s, v, 0.5);
            priced[0] = atGemmRate.attentionNanos(List.of(q, keys, v), out);
            float scale = (float) (1 / Math.sqrt(job.queryDim()));
            s.synchronize();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    k.attention(s, q, keys, v, scale, 0, out);
                }
            };
        });
        return new double[] {priced[0], nanos / reps};
    }
}
