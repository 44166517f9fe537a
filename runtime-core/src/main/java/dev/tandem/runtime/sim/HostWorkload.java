package dev.tandem.runtime.sim;

import dev.tandem.runtime.InvalidArgumentException;

/**
 * The shapes a job runs on the host backend, which {@link HostProfile} measures its kernels at: a CPU's rates
 * depend on the shape far more than an accelerator's, so the profile of a job is measured at that job's shapes.
 *
 * @param linearWeights the linear layers' weight shapes, each {@code {k, n}} ({@code [m,k] x [n,k]^T}); at least one
 * @param width         the hidden width element-wise kernels (norms, residual adds, gathers) run over
 * @param heads         attention heads on one device
 * @param queryDim      query and key features per head (rope part included)
 * @param valueDim      value features per head
 */
public record HostWorkload(int[][] linearWeights, int width, int heads, int queryDim, int valueDim) {
    /** Checks the shapes and copies the weight list. */
    public HostWorkload {
        if (linearWeights.length == 0) {
            throw new InvalidArgumentException("a host workload needs at least one linear weight shape");
        }
        linearWeights = linearWeights.clone();
        for (int i = 0; i < linearWeights.length; i++) {
            int[] w = linearWeights[i];
            if (w.length != 2 || w[0] < 1 || w[1] < 1) {
                throw new InvalidArgumentException("linear weight shape " + i + " must be {k, n} with both at least 1");
            }
            linearWeights[i] = w.clone();
        }
        if (width < 2 || heads < 1 || queryDim < 1 || valueDim < 1) {
            throw new InvalidArgumentException("a host workload needs width >= 2 and heads, query and value "
                    + "features >= 1, got width " + width + ", " + heads + " heads, " + queryDim + " and " + valueDim);
        }
    }

    /**
     * Square layers of {@code size} features: one {@code size x size} linear layer, attention of
     * {@code size / 64} heads of 64 features.
     *
     * @param size the hidden width, at least 64
     * @return the workload
     */
    public static HostWorkload square(int size) {
        return new HostWorkload(new int[][] {{size, size}}, size, Math.max(1, size / 64), 64, 64);
    }

    /**
     * The weight shapes, copied.
     *
     * @return each {@code {k, n}}
     */
    @Override
    public int[][] linearWeights() {
        int[][] copy = linearWeights.clone();
        for (int i = 0; i < copy.length; i++) {
            copy[i] = copy[i].clone();
        }
        return copy;
    }
}
