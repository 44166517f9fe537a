package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one definition of a forward: stages in program order (for a layer stack, each layer's stages one after
 * the other). Running them in this order for one micro-batch on one stream is the meaning of the program; every
 * schedule must give the same results. Dependencies between stages follow from their reads and writes.
 *
 * @param <S> the per-micro-batch state the stages work on
 */
public final class StageProgram<S> {
    private final List<Stage<S>> stages;
    private final List<List<Integer>> localDependencies;
    private final List<List<Integer>> sharedDependencies;

    /**
     * Creates a program and derives its dependencies.
     *
     * @param stages the stages in program order; copied
     * @throws InvalidArgumentException if there are no stages or two share a name
     */
    public StageProgram(List<Stage<S>> stages) {
        this.stages = List.copyOf(stages);
        if (this.stages.isEmpty()) {
            throw new InvalidArgumentException("a stage program needs at least one stage");
        }
        Set<String> names = new HashSet<>();
        for (Stage<S> s : this.stages) {
            if (!names.add(s.name())) {
                throw new InvalidArgumentException("stage name '" + s.name() + "' appears twice in the program");
            }
        }
        this.localDependencies = new ArrayList<>();
        this.sharedDependencies = new ArrayList<>();
        // Two stages conflict when they touch one value and at least one writes it; index values to find them.
        Map<String, List<Integer>> writers = new HashMap<>();
        Map<String, List<Integer>> touchers = new HashMap<>();
        for (int i = 0; i < this.stages.size(); i++) {
            Stage<S> st = this.stages.get(i);
            for (String w : st.writes()) {
                writers.computeIfAbsent(w, k -> new ArrayList<>()).add(i);
                touchers.computeIfAbsent(w, k -> new ArrayList<>()).add(i);
            }
            for (String r : st.reads()) {
                if (!st.writes().contains(r)) {
                    touchers.computeIfAbsent(r, k -> new ArrayList<>()).add(i);
                }
            }
        }
        for (int j = 0; j < this.stages.size(); j++) {
            Stage<S> st = this.stages.get(j);
            TreeSet<Integer> local = new TreeSet<>();
            TreeSet<Integer> shared = new TreeSet<>();
            for (String w : st.writes()) {
                for (int i : touchers.get(w)) {
                    (isShared(w) ? shared : local).add(i);
                }
            }
            for (String r : st.reads()) {
                for (int i : writers.getOrDefault(r, List.of())) {
                    (isShared(r) ? shared : local).add(i);
                }
            }
            localDependencies.add(List.copyOf(local.headSet(j)));
            sharedDependencies.add(List.copyOf(shared));
        }
    }

    /**
     * The stages in program order.
     *
     * @return an unmodifiable list
     */
    public List<Stage<S>> stages() {
        return stages;
    }

    /**
     * The number of stages.
     *
     * @return at least 1
     */
    public int size() {
        return stages.size();
    }

    /**
     * One stage.
     *
     * @param index position in program order
     * @return the stage at {@code index}
     */
    public Stage<S> stage(int index) {
        return stages.get(index);
    }

    /**
     * Earlier stages of the same micro-batch that stage {@code index} must follow (data or anti-dependences).
     *
     * @param index position of the stage in program order
     * @return positions below {@code index}, ascending
     */
    public List<Integer> localDependencies(int index) {
        return localDependencies.get(index);
    }

    /**
     * Stages that stage {@code index} must follow in every <em>earlier</em> micro-batch, through shared values
     * (e.g. stage {@code L2/attention} of micro-batch 1 after stage {@code L2/attention} of micro-batch 0 when
     * both touch {@code shared:kv/L2}), in any program position, itself included.
     *
     * @param index position of the stage in program order
     * @return stage positions, ascending
     */
    public List<Integer> sharedDependencies(int index) {
        return sharedDependencies.get(index);
    }

    private static boolean isShared(String value) {
        return value.startsWith(Stage.SHARED_PREFIX);
    }

    @Override
    public String toString() {
        return "StageProgram" + stages;
    }
}
