package dev.tandem.deepseek.model;

import dev.tandem.deepseek.model.DecoderRunner.Request;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each request's tokens run. Under TP attention every rank runs every request; under DP a request lives on
 * one home rank, chosen at its first step as the rank with the fewest tokens (cached plus this step's). A step is
 * placed first and committed only once it succeeded, so a failed step leaves no trace here.
 */
final class RequestPlacement {
    private final AttentionMode mode;
    private final int ranks;
    private final Map<Long, Integer> home = new HashMap<>();
    private final long[] rankTokens;
    private final Map<Long, Long> sequenceTokens = new HashMap<>();

    /** One step's placement: request indices per rank, homes of requests new in it, tokens added per rank. */
    record Step(List<List<Integer>> perRank, Map<Long, Integer> newHomes, long[] tokens) {
    }

    RequestPlacement(AttentionMode mode, int ranks) {
        this.mode = mode;
        this.ranks = ranks;
        this.rankTokens = new long[ranks];
    }

    Step place(List<Request> requests) {
        List<List<Integer>> perRank = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            perRank.add(new ArrayList<>());
        }
        Map<Long, Integer> newHomes = new LinkedHashMap<>();
        long[] tokens = new long[ranks];
        for (int i = 0; i < requests.size(); i++) {
            Request q = requests.get(i);
            if (mode == AttentionMode.TP) {
                for (int r = 0; r < ranks; r++) {
                    perRank.get(r).add(i);
                }
                if (!home.containsKey(q.id())) {
                    newHomes.putIfAbsent(q.id(), 0);
                }
                continue;
            }
            Integer h = home.get(q.id());
            if (h == null) {
                h = newHomes.get(q.id());
            }
            if (h == null) {
                h = 0;
                for (int r = 1; r < ranks; r++) {
                    if (tokens[r] + rankTokens[r] < tokens[h] + rankTokens[h]) {
                        h = r;
                    }
                }
                newHomes.put(q.id(), h);
            }
            tokens[h] += q.tokens();
            perRank.get(h).add(i);
        }
        return new Step(perRank, newHomes, tokens);
    }

    /** Records a step that succeeded. */
    void commit(Step step, List<Request> requests) {
        home.putAll(step.newHomes());
        for (int r = 0; r < ranks; r++) {
            rankTokens[r] += step.tokens()[r];
        }
        for (Request q : requests) {
            sequenceTokens.merge(q.id(), (long) q.tokens(), Long::sum);
        }
    }

    /** The home rank of request {@code id}, or null if it never ran. */
    Integer home(long id) {
        return home.get(id);
    }

    /** Forgets request {@code id} (released): its tokens no longer load its home rank. */
    void forget(long id) {
        Integer h = home.remove(id);
        Long tokens = sequenceTokens.remove(id);
        if (h != null && tokens != null && mode == AttentionMode.DP) {
            rankTokens[h] -= tokens;
        }
    }
}
