package dev.tandem.deepseek.plan;

import java.util.Locale;

/**
 * Which ranks a plan simulated, and why: every rank of the expert-parallel group, or a representative subset whose
 * collectives cost the full group's while the other ranks mirror it (see
 * {@code SimRuntime.createCommunicators(List, CommunicatorOptions, int)}).
 *
 * @param simulated ranks simulated (equal to {@code group} when all were)
 * @param group     ranks of the expert-parallel group planned
 * @param reason    why this many: the symmetry that allows a subset, or what ruled it out
 */
public record SimulatedRanks(int simulated, int group, String reason) {
    /**
     * Whether only a subset was simulated.
     *
     * @return true when fewer ranks than the group's were simulated
     */
    public boolean isSubset() {
        return simulated < group;
    }

    /**
     * One line for the plan's output: {@code simulated 8 of 256 ranks (...)} or {@code simulated all 256 ranks (...)}.
     *
     * @return the summary with its reason
     */
    public String summary() {
        return isSubset()
                ? String.format(Locale.ROOT, "simulated %d of %d ranks (%s)", simulated, group, reason)
                : String.format(Locale.ROOT, "simulated all %d ranks (%s)", group, reason);
    }
}
