package dev.tandem.deepseek.schedule;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One decoder layer on one rank as an ordered list of stages: the single definition every schedule derives
 * from. The order is a valid sequential order; the reads/writes give the dataflow a reordering scheduler
 * must respect. Validated on construction: every read is carried in or written by an earlier stage.
 *
 * @param layer  decoder layer index
 * @param stages stages in dataflow order
 */
public record LayerProgram(int layer, List<Stage> stages) {
    /** State every micro-batch carries between layers: the layer input and output. */
    public static final String HIDDEN = "hidden";

    public LayerProgram {
        stages = List.copyOf(stages);
        Set<String> available = new HashSet<>(MicroBatch.CARRIED);
        Set<String> names = new HashSet<>();
        for (Stage s : stages) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("layer " + layer + " has two stages named " + s.name());
            }
            for (String r : s.reads()) {
                if (!available.contains(r)) {
                    throw new IllegalArgumentException("layer " + layer + " stage " + s.name() + " reads '" + r
                            + "' before any stage writes it");
                }
            }
            available.addAll(s.writes());
        }
        if (!stages.isEmpty() && !stages.get(stages.size() - 1).writes().contains(HIDDEN)) {
            throw new IllegalArgumentException("layer " + layer + ": the last stage must write '" + HIDDEN + "'");
        }
    }

    /** Index of the stage named {@code name}, or -1. */
    public int indexOf(String name) {
        for (int i = 0; i < stages.size(); i++) {
            if (stages.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Indices of the earlier stages whose writes stage {@code i} reads (its dataflow predecessors). An overlap
     * scheduler records an event after each predecessor and waits for it before stage {@code i} when they run
     * on different streams.
     */
    public List<Integer> predecessors(int i) {
        Set<String> reads = new HashSet<>(stages.get(i).reads());
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        for (int j = i - 1; j >= 0 && !reads.isEmpty(); j--) {
            boolean hit = false;
            for (String w : stages.get(j).writes()) {
                if (reads.remove(w)) {
                    hit = true;
                }
            }
            if (hit) {
                out.add(0, j);
            }
        }
        return out;
    }
}
