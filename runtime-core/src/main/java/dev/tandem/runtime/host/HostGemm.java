package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

/**
 * One implementation of the host backend's matrix multiply, chosen once per runtime by {@link HostGemms}.
 * Every implementation is deterministic and independent of the compute thread count: the same call (same shapes,
 * same values) gives bitwise the same result however many threads share it, which the dual-batch overlap check
 * (overlapped equals sequential for the same split) relies on.
 */
interface HostGemm {

    /** What computes the products, for reports, e.g. {@code "OpenBLAS 0.3.21 ... (cblas_sgemm through FFM)"}. */
    String description();

    /**
     * {@code out = op(a) x op(b)} for validated tensors: a is [m,k] or [batch,m,k] (before op), b is [k,n],
     * [batch,k,n] or a shared [k,n]; out is contiguous [m,n] or [batch,m,n].
     */
    void matmul(KernelLauncher launcher, Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out);
}
