package dev.tandem.deepseek.model;

/**
 * Hears where each MoE layer's router sent a rank's tokens: the (token, slot) pairs per routed expert, once the
 * counts reached the host (they size the dispatch all-to-all-v). For expert-load statistics, rebalancing decisions,
 * and for replaying a run's routing on the simulated backend ({@code RoutingModel.replay}).
 *
 * <p>Called on the rank's host thread in the middle of a forward: keep it short. An exception it throws is logged
 * and does not fail the forward.
 */
@FunctionalInterface
public interface ExpertLoadListener {
    /**
     * One routing decision of one rank.
     *
     * @param rank            the rank whose tokens were routed
     * @param layer           the decoder layer
     * @param microBatch      the micro-batch's index in the forward
     * @param sequence        how many routing calls this rank issued before this one since the runner was built (the
     *                        order in which the routing kernels were issued on the rank's device)
     * @param tokensPerExpert pairs sent to each routed expert, indexed by expert id (a copy the listener may keep)
     */
    void routed(int rank, int layer, int microBatch, long sequence, int[] tokensPerExpert);
}
