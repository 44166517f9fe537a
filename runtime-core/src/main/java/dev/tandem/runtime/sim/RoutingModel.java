package dev.tandem.runtime.sim;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Where a data-less device's tokens go: how many (token, slot) pairs each routed expert receives, in place of
 * the router's decision on real scores. {@link #balanced()} gives every expert the same share; {@link #zipf}
 * gives expert popularity a Zipf law with exponent {@code s} over a fixed pseudo-random ranking of the experts
 * (so hot experts land on arbitrary ranks). Counts are deterministic and sum to {@code tokens x topK}; no expert
 * receives a token twice.
 */
public final class RoutingModel {
    private final double exponent;
    private final long seed;

    private RoutingModel(double exponent, long seed) {
        if (!(exponent >= 0) || Double.isInfinite(exponent)) {
            throw new InvalidArgumentException("expert skew exponent must be a non-negative number, got " + exponent);
        }
        this.exponent = exponent;
        this.seed = seed;
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
        return exponent == 0;
    }

    @Override
    public String toString() {
        return isBalanced() ? "balanced" : String.format(Locale.ROOT, "zipf:%.2f", exponent);
    }

    /**
     * The share of (token, slot) pairs each expert attracts (sums to 1).
     *
     * @param experts number of experts
     * @return one share per expert, indexed by expert id
     */
    public double[] shares(int experts) {
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
