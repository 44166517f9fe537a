package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a batch into micro-batches that balance estimated cost, not just tokens: attention cost grows with
 * context, so a long prefill weighs more than its token count. Cuts fall at request boundaries when that is
 * balanced within the tolerance, otherwise inside one prefill request at a token boundary (never inside a
 * decode step). A batch too small for every micro-batch to reach the minimum size is not split, and the plan
 * says why.
 */
public final class MicroBatchPlanner {
    private final int minTokens;
    private final double tolerance;
    private final boolean splitRequests;
    private final CostModel cost;

    /**
     * Cost of computing a slice of {@code tokens} new tokens whose first token has {@code context} tokens before it:
     * {@code perToken * tokens + perAttentionPair * pairs}, where pairs counts the (query, key) pairs of causal
     * attention ({@code tokens * context + tokens * (tokens + 1) / 2}).
     *
     * @param perToken         cost of each new token, finite and non-negative
     * @param perAttentionPair cost of each causal (query, key) attention pair, finite and non-negative
     */
    public record CostModel(double perToken, double perAttentionPair) {
        /**
         * Checks the coefficients.
         *
         * @throws InvalidArgumentException if a coefficient is negative, infinite or NaN
         */
        public CostModel {
            if (perToken < 0 || perAttentionPair < 0 || !Double.isFinite(perToken) || !Double.isFinite(perAttentionPair)) {
                throw new InvalidArgumentException("cost coefficients must be finite and non-negative");
            }
        }

        /**
         * Balances token counts only (what vLLM and vllm-ascend do).
         *
         * @return a model with cost 1 per token and none per attention pair
         */
        public static CostModel tokensOnly() {
            return new CostModel(1, 0);
        }

        /**
         * The cost of one slice.
         *
         * @param tokens  new tokens in the slice
         * @param context tokens before the slice's first token (cached plus earlier slices of the request)
         * @return {@code perToken * tokens + perAttentionPair * pairs}, in the model's units
         */
        public double cost(int tokens, long context) {
            double pairs = (double) tokens * context + (double) tokens * (tokens + 1) / 2.0;
            return perToken * tokens + perAttentionPair * pairs;
        }
    }

    /**
     * Named options for a planner, e.g. {@code MicroBatchPlanner.Options.defaults().minTokens(4).cost(model).build()}.
     *
     * @param minTokens     each micro-batch needs at least this many tokens, otherwise the batch is not split (1)
     * @param tolerance     relative cost imbalance accepted for a cut at a request boundary (0.1 = 10%)
     * @param splitRequests whether a prefill request may be cut at a token boundary (true)
     * @param cost          how slices are weighed (token counts only)
     */
    public record Options(int minTokens, double tolerance, boolean splitRequests, CostModel cost) {
        /**
         * The default options: minimum 1 token, tolerance 0.1, request splitting on, token counts only.
         *
         * @return the defaults
         */
        public static Options defaults() {
            return new Options(1, 0.1, true, CostModel.tokensOnly());
        }

        /**
         * Sets the minimum micro-batch size.
         *
         * @param tokens each micro-batch needs at least this many tokens
         * @return a copy with that minimum
         */
        public Options minTokens(int tokens) {
            return new Options(tokens, tolerance, splitRequests, cost);
        }

        /**
         * Sets the cost imbalance accepted for a cut at a request boundary.
         *
         * @param fraction relative imbalance, e.g. 0.1 for 10%
         * @return a copy with that tolerance
         */
        public Options tolerance(double fraction) {
            return new Options(minTokens, fraction, splitRequests, cost);
        }

        /**
         * Sets whether a prefill request may be cut at a token boundary.
         *
         * @param allowed true to allow cuts inside prefill requests
         * @return a copy with that setting
         */
        public Options splitRequests(boolean allowed) {
            return new Options(minTokens, tolerance, allowed, cost);
        }

        /**
         * Sets how slices are weighed.
         *
         * @param model the cost model
         * @return a copy with that model
         */
        public Options cost(CostModel model) {
            return new Options(minTokens, tolerance, splitRequests, model);
        }

        /**
         * Creates a planner with these options.
         *
         * @return the planner
         * @throws InvalidArgumentException if {@code minTokens} is below 1 or the tolerance is negative or not finite
         */
        public MicroBatchPlanner build() {
            return new MicroBatchPlanner(minTokens, tolerance, splitRequests, cost);
        }
    }

    /**
     * Positional form of {@link Options}.
     *
     * @param minTokens     each micro-batch needs at least this many tokens, otherwise the batch is not split
     * @param tolerance     relative cost imbalance accepted for a cut at a request boundary (e.g. 0.1 = 10%)
     * @param splitRequests whether a prefill request may be cut at a token boundary
     * @param cost          how slices are weighed
     * @throws InvalidArgumentException if {@code minTokens} is below 1 or the tolerance is negative or not finite
     */
    public MicroBatchPlanner(int minTokens, double tolerance, boolean splitRequests, CostModel cost) {
        if (minTokens < 1) {
            throw new InvalidArgumentException("minimum micro-batch size must be at least 1 token, got " + minTokens);
        }
        if (!(tolerance >= 0) || !Double.isFinite(tolerance)) {
            throw new InvalidArgumentException("tolerance must be a non-negative fraction, got " + tolerance);
        }
        java.util.Objects.requireNonNull(cost, "cost");
        this.minTokens = minTokens;
        this.tolerance = tolerance;
        this.splitRequests = splitRequests;
        this.cost = cost;
    }

    /**
     * Splits {@code requests} into at most {@code microBatches} parts.
     *
     * @param requests     the batch, in order; not empty
     * @param microBatches the most micro-batches wanted, at least 1
     * @return the plan; one unsplit micro-batch when splitting would break the minimum size or balance
     * @throws InvalidArgumentException if {@code microBatches} is below 1 or {@code requests} is empty
     */
    public MicroBatchPlan plan(List<RequestShape> requests, int microBatches) {
        if (microBatches < 1) {
            throw new InvalidArgumentException("micro-batches must be at least 1, got " + microBatches);
        }
        if (requests.isEmpty()) {
            throw new InvalidArgumentException("cannot plan an empty batch");
        }
        int total = requests.stream().mapToInt(RequestShape::newTokens).sum();
        List<RequestSlice> whole = new ArrayList<>();
        for (int r = 0; r < requests.size(); r++) {
            whole.add(new RequestSlice(r, 0, requests.get(r).newTokens()));
        }
        if (microBatches == 1) {
            return new MicroBatchPlan(List.of(whole), "one micro-batch requested", new double[]{totalCost(requests)});
        }
        if (total < (long) minTokens * microBatches) {
            return new MicroBatchPlan(List.of(whole), String.format(Locale.ROOT,
                    "not split: %d tokens cannot give %d micro-batches of at least %d tokens", total, microBatches,
                    minTokens), new double[]{totalCost(requests)});
        }
        // Cumulative cost at every token position; cut k aims at k/N of the total.
        double all = totalCost(requests);
        List<int[]> cuts = new ArrayList<>();      // {request, token} where micro-batch k+1 starts
        for (int k = 1; k < microBatches; k++) {
            cuts.add(chooseCut(requests, all * k / microBatches, all / microBatches));
        }
        List<List<RequestSlice>> parts = slice(requests, cuts);
        if (parts.size() < 2) {
            return new MicroBatchPlan(List.of(whole), "not split: no cut separates the batch into balanced parts",
                    new double[]{all});
        }
        for (List<RequestSlice> part : parts) {
            int tokens = part.stream().mapToInt(RequestSlice::tokens).sum();
            if (tokens < minTokens) {
                return new MicroBatchPlan(List.of(whole), String.format(Locale.ROOT,
                        "not split: the balanced split leaves a micro-batch of %d tokens, below the minimum of %d",
                        tokens, minTokens), new double[]{all});
            }
        }
        double[] costs = new double[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            for (RequestSlice s : parts.get(i)) {
                costs[i] += cost.cost(s.tokens(), (long) requests.get(s.request()).cachedTokens() + s.start());
            }
        }
        boolean inside = parts.stream().flatMap(List::stream).anyMatch(s -> s.start() > 0);
        String reason = String.format(Locale.ROOT, "split into %d micro-batches of %s tokens%s, estimated cost balance %.3f",
                parts.size(), tokenList(parts), inside ? " (a prefill request is cut at a token boundary)" : " at request boundaries",
                max(costs) / Math.max(1e-12, min(costs)));
        return new MicroBatchPlan(parts, reason, costs);
    }

    /** The cut closest to {@code target} cumulative cost: a request boundary if within tolerance, else a token. */
    private int[] chooseCut(List<RequestShape> requests, double target, double share) {
        double cumulative = 0;
        int[] bestBoundary = null;
        double bestBoundaryError = Double.MAX_VALUE;
        int[] bestToken = null;
        double bestTokenError = Double.MAX_VALUE;
        for (int r = 0; r < requests.size(); r++) {
            RequestShape q = requests.get(r);
            double boundaryError = Math.abs(cumulative - target);
            if (r > 0 && boundaryError < bestBoundaryError) {
                bestBoundaryError = boundaryError;
                bestBoundary = new int[]{r, 0};
            }
            if (splitRequests && !q.isDecode()) {
                for (int t = 1; t < q.newTokens(); t++) {
                    double c = cumulative + cost.cost(t, q.cachedTokens());
                    double err = Math.abs(c - target);
                    if (err < bestTokenError) {
                        bestTokenError = err;
                        bestToken = new int[]{r, t};
                    }
                }
            }
            cumulative += cost.cost(q.newTokens(), q.cachedTokens());
        }
        if (bestBoundary != null && (bestToken == null || bestBoundaryError <= tolerance * share
                || bestBoundaryError <= bestTokenError)) {
            return bestBoundary;
        }
        return bestToken != null ? bestToken : new int[]{requests.size() - 1, 0};
    }

    private static List<List<RequestSlice>> slice(List<RequestShape> requests, List<int[]> cuts) {
        List<List<RequestSlice>> parts = new ArrayList<>();
        List<RequestSlice> current = new ArrayList<>();
        int cutIndex = 0;
        for (int r = 0; r < requests.size(); r++) {
            int start = 0;
            int n = requests.get(r).newTokens();
            while (cutIndex < cuts.size() && cuts.get(cutIndex)[0] == r) {
                int at = cuts.get(cutIndex)[1];
                if (at > start) {
                    current.add(new RequestSlice(r, start, at));
                    start = at;
                }
                parts.add(current);
                current = new ArrayList<>();
                cutIndex++;
            }
            current.add(new RequestSlice(r, start, n));
        }
        parts.add(current);
        parts.removeIf(List::isEmpty);
        return parts;
    }

    private double totalCost(List<RequestShape> requests) {
        double c = 0;
        for (RequestShape r : requests) {
            c += cost.cost(r.newTokens(), r.cachedTokens());
        }
        return c;
    }

    private static String tokenList(List<List<RequestSlice>> parts) {
        List<String> counts = new ArrayList<>();
        for (List<RequestSlice> p : parts) {
            counts.add(Integer.toString(p.stream().mapToInt(RequestSlice::tokens).sum()));
        }
        return String.join("+", counts);
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) {
            m = Math.min(m, x);
        }
        return m;
    }
}
