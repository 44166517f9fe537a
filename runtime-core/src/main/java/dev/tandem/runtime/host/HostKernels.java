package dev.tandem.runtime.host;

import dev.tandem.runtime.Kernels;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

/** Placeholder until the kernels branch lands (replaced wholesale by that merge). */
final class HostKernels implements Kernels {
    HostKernels(KernelLauncher launcher) {
    }

    private static UnsupportedOperationException pending() {
        return new UnsupportedOperationException("host kernels are not merged yet");
    }

    public void matmul(Stream s, Tensor a, boolean ta, Tensor b, boolean tb, Tensor out) { throw pending(); }
    public void add(Stream s, Tensor a, Tensor b, Tensor out) { throw pending(); }
    public void mul(Stream s, Tensor a, Tensor b, Tensor out) { throw pending(); }
    public void scale(Stream s, Tensor a, float alpha, Tensor out) { throw pending(); }
    public void addScaled(Stream s, Tensor a, Tensor b, float alpha, Tensor out) { throw pending(); }
    public void rmsNorm(Stream s, Tensor x, Tensor w, float eps, Tensor out) { throw pending(); }
    public void silu(Stream s, Tensor x, Tensor out) { throw pending(); }
    public void swiglu(Stream s, Tensor g, Tensor u, Tensor out) { throw pending(); }
    public void sigmoid(Stream s, Tensor x, Tensor out) { throw pending(); }
    public void softmax(Stream s, Tensor x, Tensor out, long c) { throw pending(); }
    public void rope(Stream s, Tensor x, Tensor p, Tensor f, Tensor out) { throw pending(); }
    public void topk(Stream s, Tensor x, int k, Tensor v, Tensor i) { throw pending(); }
    public void indexSelect(Stream s, Tensor src, Tensor idx, Tensor out) { throw pending(); }
    public void indexAdd(Stream s, Tensor t, Tensor idx, Tensor src, float alpha) { throw pending(); }
    public void cast(Stream s, Tensor src, Tensor out) { throw pending(); }
    public void copy(Stream s, Tensor src, Tensor out) { throw pending(); }
    public void fill(Stream s, Tensor out, double v) { throw pending(); }
}
