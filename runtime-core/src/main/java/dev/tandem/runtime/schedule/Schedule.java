package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.StreamRole;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An issue order for a program over micro-batches: which step goes on which stream, in what order, and which
 * earlier steps each one waits for. Built by {@link Schedules}; run by {@link ScheduleRunner}.
 *
 * @param <S> the per-micro-batch state of the program
 */
public final class Schedule<S> {
    private final String name;
    private final StageProgram<S> program;
    private final int microBatches;
    private final List<Step> steps;
    private final List<List<Integer>> dependencies;

    Schedule(String name, StageProgram<S> program, int microBatches, List<Step> steps) {
        this.name = name;
        this.program = program;
        this.microBatches = microBatches;
        this.steps = List.copyOf(steps);
        if (this.steps.size() != program.size() * microBatches) {
            throw new IllegalStateException("schedule " + name + " issues " + this.steps.size() + " steps, expected "
                    + program.size() * microBatches);
        }
        Map<Long, Integer> position = new HashMap<>();
        for (int i = 0; i < this.steps.size(); i++) {
            Step s = this.steps.get(i);
            if (position.put(key(s.microBatch(), s.stage()), i) != null) {
                throw new IllegalStateException("schedule " + name + " issues " + s + " twice");
            }
        }
        List<List<Integer>> deps = new ArrayList<>();
        for (int i = 0; i < this.steps.size(); i++) {
            Step s = this.steps.get(i);
            List<Integer> d = new ArrayList<>();
            for (int stage : program.localDependencies(s.stage())) {
                d.add(position.get(key(s.microBatch(), stage)));
            }
            for (int earlier = 0; earlier < s.microBatch(); earlier++) {
                for (int stage : program.sharedDependencies(s.stage())) {
                    d.add(position.get(key(earlier, stage)));
                }
            }
            for (int p : d) {
                if (p >= i) {
                    throw new InvalidArgumentException("schedule " + name + " would issue " + describe(s)
                            + " before " + describe(this.steps.get(p)) + ", which it depends on");
                }
            }
            deps.add(List.copyOf(d));
        }
        this.dependencies = List.copyOf(deps);
    }

    private static long key(int microBatch, int stage) {
        return ((long) microBatch << 32) | stage;
    }

    /**
     * The schedule's name, e.g. {@code sequential}, {@code dbo} (two overlapped micro-batches) or
     * {@code overlap x3}.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The program this schedule orders.
     *
     * @return the program
     */
    public StageProgram<S> program() {
        return program;
    }

    /**
     * The number of micro-batches the schedule is for.
     *
     * @return at least 1
     */
    public int microBatches() {
        return microBatches;
    }

    /**
     * Steps in issue order.
     *
     * @return an unmodifiable list, one step per stage and micro-batch
     */
    public List<Step> steps() {
        return steps;
    }

    /**
     * Positions (in {@link #steps()}) of the steps that step {@code position} depends on.
     *
     * @param position index of a step in {@link #steps()}
     * @return earlier positions, all below {@code position}
     */
    public List<Integer> dependencies(int position) {
        return dependencies.get(position);
    }

    /**
     * True when some step runs on the communication stream.
     *
     * @return whether a communication stream is needed
     */
    public boolean usesCommStream() {
        return steps.stream().anyMatch(s -> s.stream() == StreamRole.COMM);
    }

    /**
     * A readable listing: one line per stream, steps in order, e.g. for logs and the README.
     *
     * @return lines like {@code compute: L0/attention[mb0] · ...}, each ending in a newline
     */
    public String describeStreams() {
        StringBuilder sb = new StringBuilder();
        for (StreamRole role : new StreamRole[]{StreamRole.COMPUTE, StreamRole.COMM}) {
            List<String> names = new ArrayList<>();
            for (Step s : steps) {
                if (s.stream() == role) {
                    names.add(describe(s));
                }
            }
            if (!names.isEmpty()) {
                sb.append(role.name().toLowerCase()).append(": ").append(String.join(" · ", names)).append('\n');
            }
        }
        return sb.toString();
    }

    String describe(Step s) {
        return program.stage(s.stage()).name() + "[mb" + s.microBatch() + "]";
    }

    @Override
    public String toString() {
        return "Schedule[" + name + ", " + microBatches + " micro-batch(es), " + steps.size() + " steps]";
    }
}
