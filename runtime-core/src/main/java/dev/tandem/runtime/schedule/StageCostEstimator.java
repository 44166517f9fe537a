package dev.tandem.runtime.schedule;

import java.util.List;

/** Estimated time of one stage for one micro-batch, given the request slices the micro-batch holds. */
@FunctionalInterface
public interface StageCostEstimator {
    /**
     * Estimates how long one stage takes for one micro-batch.
     *
     * @param stage       the stage
     * @param slices      the micro-batch's request slices
     * @param requests    the whole batch's request shapes (for cached context lengths)
     * @return estimated nanoseconds
     */
    long estimateNanos(Stage<?> stage, List<RequestSlice> slices, List<RequestShape> requests);
}
