package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one definition of a forward: stages in program order (for a layer stack, each layer's stages one after
 * the other). Running them in this order for one micro-batch on one stream is the meaning of the program; every
 * schedule must give the same results. Dependencies between stages follow from their reads and writes.
 */
public final class StageProgram<S> {
    private final List<Stage<S>> stages;
    private final List<List<Integer>> localDependencies;
    private final List<List<Integer>> sharedDependencies;

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
        for (int j = 0; j < this.stages.size(); j++) {
            List<Integer> local = new ArrayList<>();
            List<Integer> shared = new ArrayList<>();
            for (int i = 0; i < this.stages.size(); i++) {
                if (i < j && conflict(this.stages.get(i), this.stages.get(j), false)) {
                    local.add(i);
                }
                if (conflict(this.stages.get(i), this.stages.get(j), true)
                        || conflict(this.stages.get(j), this.stages.get(i), true)) {
                    shared.add(i);
                }
            }
            localDependencies.add(List.copyOf(local));
            sharedDependencies.add(List.copyOf(shared));
        }
    }

    public List<Stage<S>> stages() {
        return stages;
    }

    public int size() {
        return stages.size();
    }

    public Stage<S> stage(int index) {
        return stages.get(index);
    }

    /** Earlier stages of the same micro-batch that stage {@code index} must follow (data or anti-dependences). */
    public List<Integer> localDependencies(int index) {
        return localDependencies.get(index);
    }

    /**
     * Stages that stage {@code index} must follow in every <em>earlier</em> micro-batch, through shared values
     * (e.g. stage {@code L2/attention} of micro-batch 1 after stage {@code L2/attention} of micro-batch 0 when
     * both touch {@code shared:kv/L2}), in any program position, itself included.
     */
    public List<Integer> sharedDependencies(int index) {
        return sharedDependencies.get(index);
    }

    private static boolean conflict(Stage<?> first, Stage<?> second, boolean shared) {
        for (String w : first.writes()) {
            if (isShared(w) == shared && (second.reads().contains(w) || second.writes().contains(w))) {
                return true;
            }
        }
        for (String r : first.reads()) {
            if (isShared(r) == shared && second.writes().contains(r)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isShared(String value) {
        return value.startsWith(Stage.SHARED_PREFIX);
    }

    @Override
    public String toString() {
        return "StageProgram" + stages;
    }
}
