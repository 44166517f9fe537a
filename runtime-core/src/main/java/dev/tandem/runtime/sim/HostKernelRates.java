package dev.tandem.runtime.sim;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.Stream;
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
        return fit(perCall(rt, ranks, 64, (dev, s) -> withBytes(kernel, prepare(dev.kernels(), dev, s, kernel, width,
                SMALL_ROWS))), perCall(rt, ranks, 16, (dev, s) -> withBytes(kernel, prepare(dev.kernels(), dev, s,
                kernel, width, LARGE_ROWS))));
    }

    /** The work of one call of a prepared kernel (bytes, or nanoseconds at another rate) and what enqueues it. */
    private record Prepared(double work, Runnable enqueue) {
    }

    private interface Preparation {
        Prepared on(Device device, Stream stream);
    }

    /** {work of one call, nanoseconds per call}: {@code reps} calls on every device at once. */
    private static double[] perCall(TandemRuntime rt, int ranks, int reps, Preparation preparation) {
        double[] work = new double[1];
        double nanos = HostProfile.timeOnAll(rt, ranks, (dev, s) -> {
            Prepared prepared = preparation.on(dev, s);
            work[0] = prepared.work();
            s.synchronize();
            return () -> {
                for (int i = 0; i < reps; i++) {
                    prepared.enqueue().run();
                }
            };
        });
        return new double[] {work[0], nanos / reps};
    }

    /** The line through a small and a large call, each {work, nanoseconds}. */
    private static KernelFit fit(double[] small, double[] large) {
        return KernelFit.through(small[0], small[1], large[0], large[1]);
    }

    /** A kernel's call with its work counted in bytes, as the cost model counts them for the host (stored bytes). */
    private static Prepared withBytes(String kernel, Call call) {
        return new Prepared(CostModel.bytesMoved(kernel, call.reads(), call.writes(),
                t -> (double) t.numel() * t.dtype().byteSize()), call.enqueue());
    }

    private static Call prepare(Kernels k, Device dev, Stream s, String kernel, int width, int rows) {
        return switch (kernel) {
            case "add" -> {
                Tensor x = input(k, dev, s, rows, width);
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
                Tensor x = input(k, dev, s, rows, width);
                Tensor weight = Tensor.allocate(dev, s, DType.F32, width);
                k.fill(s, weight, 1);
                Tensor out = Tensor.allocate(dev, s, DType.F32, rows, width);
                yield new Call(List.of(x, weight), List.of(out), () -> k.rmsNorm(s, x, weight, 1e-6f, out));
            }
            case "rope" -> {
                int even = width - width % 2;
                Tensor in = input(k, dev, s, rows, width).slice(1, 0, even);
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
                Tensor x = input(k, dev, s, rows, width);
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

    /** A [rows, width] F32 input of halves. */
    private static Tensor input(Kernels k, Device dev, Stream s, int rows, int width) {
        Tensor x = Tensor.allocate(dev, s, DType.F32, rows, width);
        k.fill(s, x, 0.5);
        return x;
    }

    /**
     * Fused causal attention of {@code job}'s heads over queries of {@link #SHORT} and {@link #LONG} tokens, each
     * attending to its own: the efficiency relative to what {@code atGemmRate} charges for its products (the line's
     * rate: time = fixed + nanoseconds at the GEMM rate / efficiency), and the fixed time per call.
     */
    static KernelFit attention(TandemRuntime rt, int ranks, HostWorkload job, CostModel atGemmRate) {
        return fit(perCall(rt, ranks, 16, (dev, s) -> attentionCall(dev, s, job, SHORT, atGemmRate)),
                perCall(rt, ranks, 4, (dev, s) -> attentionCall(dev, s, job, LONG, atGemmRate)));
    }

    /** One attention call over {@code n} tokens, its work the nanoseconds {@code atGemmRate} charges for it. */
    private static Prepared attentionCall(Device dev, Stream s, HostWorkload job, int n, CostModel atGemmRate) {
        Kernels k = dev.kernels();
        Tensor q = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.queryDim());
        Tensor keys = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.queryDim());
        Tensor v = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.valueDim());
        Tensor out = Tensor.allocate(dev, s, DType.F32, job.heads(), n, job.valueDim());
        k.fill(s, q, 0.01);
        k.fill(s, keys, 0.02);
        k.fill(s, v, 0.5);
        float scale = (float) (1 / Math.sqrt(job.queryDim()));
        return new Prepared(atGemmRate.attentionNanos(List.of(q, keys, v), out, 0),
                () -> k.attention(s, q, keys, v, scale, 0, out));
    }
}
