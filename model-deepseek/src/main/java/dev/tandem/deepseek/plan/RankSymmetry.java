package dev.tandem.deepseek.plan;

import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.model.SimulatedForward.Part;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.sim.RoutingModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides how many ranks a plan simulates. A subset may stand for the expert-parallel group only when every rank
 * provably behaves the same, since its other ranks mirror the simulated ones: every rank gets the same
 * micro-batches (same parts: new tokens and cached lengths), under TP attention every rank's FFN slice has the same
 * rows, and the routing model gives every rank's experts the same counts in every routing call. The last condition
 * is checked on the counts the simulation will use: a skewed or recorded routing never qualifies, and balanced
 * routing qualifies only when a micro-batch's (token, expert) pairs divide evenly over the experts (otherwise the
 * remainder lands on the first experts, so the first ranks receive more).
 */
final class RankSymmetry {
    /** Most ranks a subset simulates: see {@link #subsetSize}. */
    static final int SUBSET = 8;

    static final String SAME = "every rank has the same batch and balanced routing; collectives cost the full group's";

    private RankSymmetry() {
    }

    /**
     * The subset simulated when allowed: the largest divisor of the group from 2 up to {@link #SUBSET}, or the whole
     * group when it has none. Any divisor predicts the same (1, 2, 8 and all 32 ranks gave the same step times and
     * memory for DeepSeek-V3 at EP 32); eight is one node of most shipped profiles and keeps real rendezvous between
     * distinct simulated ranks (ranks wait for peers, and the all-to-all-v counts are checked between them, as in
     * the group) for a small share of a large group's cost (R1 at EP 256: 1.3 s of simulation instead of 32 s).
     */
    static int subsetSize(int group) {
        for (int s = Math.min(SUBSET, group); s > 1; s--) {
            if (group % s == 0) {
                return s;
            }
        }
        return group;
    }

    /** Chooses the simulated ranks for {@code setup}, whose steps are {@code steps} (one per split tried). */
    static SimulatedRanks choose(PlanSetup setup, List<CapacityPlanner.Step> steps, SimulateRanks choice) {
        int group = setup.ep();
        if (choice.isAll()) {
            return new SimulatedRanks(group, group, "as asked");
        }
        if (!choice.isAuto()) {
            int n = choice.count();
            if (n > group || group % n != 0) {
                throw new InvalidArgumentException("--simulate-ranks " + n + " does not divide the expert-parallel "
                        + "group of " + group + " ranks");
            }
            if (n == group) {
                return new SimulatedRanks(group, group, "as asked");
            }
            String why = asymmetry(setup, steps);
            if (why != null) {
                throw new InvalidArgumentException("cannot simulate " + n + " of " + group + " ranks: " + why
                        + "; a subset stands for the group only when every rank behaves the same (simulate all)");
            }
            return new SimulatedRanks(n, group, SAME);
        }
        int subset = subsetSize(group);
        if (subset == group) {
            return new SimulatedRanks(group, group, group <= SUBSET
                    ? "a group of at most " + SUBSET + " ranks is simulated whole"
                    : "the group's size has no divisor from 2 to " + SUBSET);
        }
        String why = asymmetry(setup, steps);
        return why != null ? new SimulatedRanks(group, group, why) : new SimulatedRanks(subset, group, SAME);
    }

    /** Why the ranks of {@code steps} do not all behave the same, or null when they do. */
    static String asymmetry(PlanSetup setup, List<CapacityPlanner.Step> steps) {
        RoutingModel routing = setup.routing();
        if (routing.isRecorded()) {
            return "the recorded routing gives each rank its own expert counts";
        }
        if (!routing.isBalanced()) {
            return "the " + routing + " routing loads the ranks' experts unevenly";
        }
        int group = setup.ep();
        int experts = setup.model().nRoutedExperts();
        int topK = setup.model().numExpertsPerTok();
        int per = experts / group;
        for (CapacityPlanner.Step step : steps) {
            List<List<Part>> first = step.parts().getFirst();
            List<List<Integer>> firstIds = shape(step.ids().getFirst());
            for (int r = 1; r < group; r++) {
                if (!step.parts().get(r).equals(first) || !shape(step.ids().get(r)).equals(firstIds)) {
                    long mine = tokens(step.parts().get(r));
                    return mine != tokens(first)
                            ? String.format(Locale.ROOT, "the ranks get different batches (rank 0: %d new tokens, rank "
                            + "%d: %d; the requests do not spread evenly over the %d ranks)", tokens(first), r, mine, group)
                            : String.format(Locale.ROOT, "the ranks get different batches (rank %d's requests or their "
                            + "split differ from rank 0's)", r);
                }
            }
            for (List<Part> mb : first) {
                int t = mb.stream().mapToInt(Part::tokens).sum();
                int routed = t;
                if (setup.attention() == AttentionMode.TP) {
                    if (t % group != 0) {
                        return String.format(Locale.ROOT, "a micro-batch's %d tokens do not split evenly over the %d "
                                + "ranks' FFN slices", t, group);
                    }
                    routed = t / group;
                }
                int[] counts = routing.counts(routed, topK, experts);
                int[] block = Arrays.copyOfRange(counts, 0, per);
                for (int r = 1; r < group; r++) {
                    if (!Arrays.equals(block, Arrays.copyOfRange(counts, r * per, (r + 1) * per))) {
                        return String.format(Locale.ROOT, "balanced routing of %d tokens x %d experts per rank leaves "
                                + "%d pairs over the %d experts, which fall on the first ranks' experts", routed, topK,
                                (long) routed * topK % experts, experts);
                    }
                }
            }
        }
        return null;
    }

    private static long tokens(List<List<Part>> microBatches) {
        return microBatches.stream().flatMap(List::stream).mapToLong(Part::tokens).sum();
    }

    /** Request ids replaced by their order of first appearance: which parts continue the same request. */
    private static List<List<Integer>> shape(List<List<Long>> ids) {
        Map<Long, Integer> seen = new HashMap<>();
        List<List<Integer>> out = new ArrayList<>();
        for (List<Long> mb : ids) {
            List<Integer> m = new ArrayList<>();
            for (long id : mb) {
                m.add(seen.computeIfAbsent(id, k -> seen.size()));
            }
            out.add(m);
        }
        return out;
    }
}
