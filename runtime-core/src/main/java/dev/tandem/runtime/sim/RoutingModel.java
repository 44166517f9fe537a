package dev.tandem.runtime.sim;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Where a data-less device's tokens go: how many (token, slot) pairs each routed expert receives, in place of
 * the router's decision on real scores. {@link #balanced()} gives every expert the same share; {@link #zipf}
 * gives expert popularity a Zipf law with exponent {@code s} over a fixed pseudo-random ranking of the experts
 * (so hot experts land on arbitrary ranks). Counts are deterministic and sum to {@code tokens x topK}; no expert
 * receives a token twice. {@link #replay} instead hands back the counts a real run routed, so a simulation of that
 * run's job moves exactly its bytes.
 */
public final class RoutingModel {
    private final double exponent;
    private final long seed;
    /** Per device, the counts of each routing call in issue order; null for the statistical models. */
    private final List<List<int[]>> recorded;

    private RoutingModel(double exponent, long seed) {
        if (!(exponent >= 0) || Double.isInfinite(exponent)) {
            throw new InvalidArgumentException("expert skew exponent must be a non-negative number, got " + exponent);
        }
        this.exponent = exponent;
        this.seed = seed;
        this.recorded = null;
    }

    private RoutingModel(List<List<int[]>> recorded) {
        this.exponent = 0;
        this.seed = 0;
        this.recorded = recorded;
    }

    /**
     * The routing a real run recorded: device {@code d}'s n-th routing kernel ({@code Kernels.moeDispatch}) gets
     * {@code perDevice.get(d).get(n)}, the tokens per expert that run's router chose for the same call. Since the
     * simulated backend issues the same operations in the same order as a real one (the same stage programs and
     * schedules), replaying a run's counts makes a simulation of that run move exactly its bytes; the statistical
     * queries ({@link #shares}, {@link #rankImbalance}) describe the recorded totals.
     *
     * @param perDevice per device, the tokens per expert of each routing call, in the order the calls were issued
     * @return the replaying model
     * @throws InvalidArgumentException if there is no device, or the calls disagree on the number of experts
     */
    public static RoutingModel replay(List<List<int[]>> perDevice) {
        if (perDevice.isEmpty()) {
            throw new InvalidArgumentException("a recorded routing needs at least one device");
        }
        List<List<int[]>> copy = new ArrayList<>();
        int experts = -1;
        for (List<int[]> calls : perDevice) {
            List<int[]> c = new ArrayList<>();
            for (int[] counts : calls) {
                if (experts >= 0 && counts.length != experts) {
                    throw new InvalidArgumentException("recorded routing calls disagree on the number of experts: "
                            + experts + " and " + counts.length);
                }
                experts = counts.length;
                c.add(counts.clone());
            }
            copy.add(List.copyOf(c));
        }
        return new RoutingModel(List.copyOf(copy));
    }

    /**
     * Whether this model replays a recorded run ({@link #replay}).
     *
     * @return true for a replaying model
     */
    public boolean isRecorded() {
        return recorded != null;
    }

    /**
     * The counts of routing call number {@code call} on device {@code device}: the recorded ones when replaying,
     * otherwise {@link #counts(int, int, int)}.
     *
     * @param device  the device's index in its runtime
     * @param call    how many routing calls the device issued before this one
     * @param tokens  tokens routed
     * @param topK    experts each token chooses
     * @param experts number of experts
     * @return pairs per expert, summing to {@code tokens * topK}
     * @throws InvalidArgumentException if the recording has no such call, or the call routed another number of
     *         tokens or experts than asked (the simulated job is not the recorded one)
     */
    public int[] counts(int device, long call, int tokens, int topK, int experts) {
        if (recorded == null) {
            return counts(tokens, topK, experts);
        }
        if (device >= recorded.size() || call >= recorded.get(device).size()) {
            throw new InvalidArgumentException("recorded routing has no call " + call + " on device " + device
                    + " (it holds " + (device < recorded.size() ? recorded.get(device).size() : 0) + " there)");
        }
        int[] c = recorded.get(device).get((int) call);
        long sum = 0;
        for (int v : c) {
            sum += v;
        }
        if (c.length != experts || sum != (long) tokens * topK) {
            throw new InvalidArgumentException("recorded routing call " + call + " on device " + device + " routed "
                    + sum + " pairs over " + c.length + " experts, but the simulated call routes " + tokens + " x "
                    + topK + " pairs over " + experts + ": the simulated job is not the recorded one");
        }
        return c.clone();
    }

    /**
     * Every expert equally loaded.
     *
     * @return the balanced model
     */
    public static RoutingModel balanced() {
        return new RoutingModel(0, 0);
    }

    /**
     * Expert popularity ~ 1 / rank^s over a ranking drawn with {@code seed}.
     *
     * @param s    the Zipf exponent, at least 0 (0 is balanced)
     * @param seed seeds the random ranking of the experts
     * @return the skewed model
     * @throws InvalidArgumentException if {@code s} is negative, infinite or NaN
     */
    public static RoutingModel zipf(double s, long seed) {
        return new RoutingModel(s, seed);
    }

    /**
     * Parses {@code balanced} or {@code zipf:S} (seed 1), as the planner's {@code --expert-skew} takes it.
     *
     * @param text {@code balanced}, {@code none}, {@code 0}, {@code zipf:S} or a bare number S (case-insensitive)
     * @return the model
     * @throws InvalidArgumentException if the text is neither
     */
    public static RoutingModel parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("balanced") || t.equals("none") || t.equals("0")) {
            return balanced();
        }
        String number = t.startsWith("zipf:") ? t.substring(5) : t;
        try {
            return zipf(Double.parseDouble(number), 1);
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("expert skew must be 'balanced' or 'zipf:S' with a number S >= 0, got '"
                    + text + "'");
        }
    }

    /**
     * True when every expert is equally loaded.
     *
     * @return whether the exponent is 0
     */
    public boolean isBalanced() {
        return recorded == null && exponent == 0;
    }

    @Override
    public String toString() {
        return recorded != null ? "recorded" : isBalanced() ? "balanced" : String.format(Locale.ROOT, "zipf:%.2f", exponent);
    }

    /**
     * The share of (token, slot) pairs each expert attracts (sums to 1).
     *
     * @param experts number of experts
     * @return one share per expert, indexed by expert id
     */
    public double[] shares(int experts) {
        if (recorded != null) {
            return recordedShares(experts);
        }
        double[] w = new double[experts];
        int[] order = ranking(experts);
        double sum = 0;
        for (int i = 0; i < experts; i++) {
            w[order[i]] = 1.0 / Math.pow(i + 1, exponent);
            sum += w[order[i]];
        }
        for (int i = 0; i < experts; i++) {
            w[i] /= sum;
        }
        return w;
    }

    /**
     * Pairs per expert for {@code tokens} tokens choosing {@code topK} distinct experts each: shares scaled to
     * {@code tokens x topK}, capped at {@code tokens} per expert (the excess goes to the next experts), rounded
     * by largest remainder.
     *
     * @param tokens  tokens routed
     * @param topK    experts each token chooses
     * @param experts number of experts
     * @return pairs per expert, summing to {@code tokens * topK}
     * @throws InvalidArgumentException if {@code topK} exceeds {@code experts}
     */
    public int[] counts(int tokens, int topK, int experts) {
        if (topK > experts) {
            throw new InvalidArgumentException("top-k " + topK + " exceeds the " + experts + " experts");
        }
        double[] share = shares(experts);
        double[] want = new double[experts];
        double total = (double) tokens * topK;
        boolean[] capped = new boolean[experts];
        double left = total;
        // Water-filling: cap experts at `tokens` and spread what they cannot take over the others.
        for (int round = 0; round < experts && left > 1e-9; round++) {
            double free = 0;
            for (int e = 0; e < experts; e++) {
                if (!capped[e]) {
                    free += share[e];
                }
            }
            double spill = 0;
            for (int e = 0; e < experts; e++) {
                if (!capped[e]) {
                    want[e] += left * share[e] / free;
                    if (want[e] >= tokens) {
                        spill += want[e] - tokens;
                        want[e] = tokens;
                        capped[e] = true;
                    }
                }
            }
            left = spill;
        }
        int[] out = new int[experts];
        long assigned = 0;
        for (int e = 0; e < experts; e++) {
            out[e] = (int) Math.floor(want[e]);
            assigned += out[e];
        }
        long missing = (long) tokens * topK - assigned;
        Integer[] byRemainder = new Integer[experts];
        for (int e = 0; e < experts; e++) {
            byRemainder[e] = e;
        }
        Arrays.sort(byRemainder, (x, y) -> {
            int c = Double.compare(want[y] - out[y], want[x] - out[x]);
            return c != 0 ? c : Integer.compare(x, y);
        });
        for (int i = 0; missing > 0 && i < experts; i++) {
            int e = byRemainder[i];
            if (out[e] < tokens) {
                out[e]++;
                missing--;
            }
        }
        return out;
    }

    /**
     * Largest over mean load of expert groups of {@code experts / ranks} consecutive experts (1 = balanced).
     *
     * @param experts number of experts
     * @param ranks   number of ranks the experts are spread over, in equal consecutive groups
     * @return the imbalance factor, at least 1
     */
    public double rankImbalance(int experts, int ranks) {
        double[] share = shares(experts);
        int per = experts / ranks;
        double max = 0;
        for (int r = 0; r < ranks; r++) {
            double s = 0;
            for (int e = r * per; e < (r + 1) * per; e++) {
                s += share[e];
            }
            max = Math.max(max, s);
        }
        return max * ranks;
    }

    private double[] recordedShares(int experts) {
        double[] w = new double[experts];
        double sum = 0;
        for (List<int[]> calls : recorded) {
            for (int[] c : calls) {
                for (int e = 0; e < Math.min(experts, c.length); e++) {
                    w[e] += c[e];
                    sum += c[e];
                }
            }
        }
        for (int e = 0; e < experts; e++) {
            w[e] = sum == 0 ? 1.0 / experts : w[e] / sum;
        }
        return w;
    }

    private int[] ranking(int experts) {
        int[] order = new int[experts];
        for (int i = 0; i < experts; i++) {
            order[i] = i;
        }
        if (exponent == 0) {
            return order;
        }
        Random random = new Random(seed);
        for (int i = experts - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
