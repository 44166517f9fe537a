package dev.tandem.runtime.schedule;

import java.util.List;

/**
 * How a batch is split into micro-batches: each micro-batch is a list of request slices, in batch order, so that
 * concatenating the micro-batches gives back the batch. A plan with one micro-batch means "run sequentially";
 * {@link #reason()} says why the planner chose what it chose.
 *
 * @param microBatches      slices of each micro-batch
 * @param reason            a sentence for logs and reports
 * @param estimatedCosts    the planner's cost estimate per micro-batch (arbitrary but consistent units)
 */
public record MicroBatchPlan(List<List<RequestSlice>> microBatches, String reason, double[] estimatedCosts) {

    /**
     * Copies the slice lists and the cost array, so the plan cannot change afterwards.
     */
    public MicroBatchPlan {
        microBatches = microBatches.stream().map(List::copyOf).toList();
        estimatedCosts = estimatedCosts.clone();
    }

    /**
     * The number of micro-batches.
     *
     * @return at least 1; 1 means the batch runs unsplit
     */
    public int size() {
        return microBatches.size();
    }

    /**
     * Whether the batch is split at all.
     *
     * @return true when there are two or more micro-batches
     */
    public boolean isSplit() {
        return microBatches.size() > 1;
    }

    /**
     * The number of new tokens in one micro-batch.
     *
     * @param microBatch index of the micro-batch, from 0 to {@link #size()} - 1
     * @return the summed tokens of its slices
     * @throws IndexOutOfBoundsException if {@code microBatch} is out of range
     */
    public int tokens(int microBatch) {
        return microBatches.get(microBatch).stream().mapToInt(RequestSlice::tokens).sum();
    }

    /**
     * True when some request is cut at a token boundary (its second part attends to the first part's KV).
     *
     * @return true if any slice starts after its request's first token
     */
    public boolean splitsARequest() {
        for (List<RequestSlice> mb : microBatches) {
            for (RequestSlice s : mb) {
                if (s.start() > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Largest over smallest estimated cost; 1.0 is perfect balance.
     *
     * @return the ratio, at least 1.0; infinite when some micro-batch has no positive cost
     */
    public double imbalance() {
        double max = 0;
        double min = Double.MAX_VALUE;
        for (double c : estimatedCosts) {
            max = Math.max(max, c);
            min = Math.min(min, c);
        }
        return min <= 0 ? Double.POSITIVE_INFINITY : max / min;
    }
}
