package dev.tandem.runtime.schedule;

import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.StreamRole;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Derives schedules from a {@link StageProgram}; no model-specific code.
 *
 * <p><b>Sequential</b>: every stage of every micro-batch on the compute stream, stage by stage.
 *
 * <p><b>Overlapped</b> (dual-batch overlap for 2 micro-batches, generalised to N): each micro-batch's stages are
 * grouped into alternating phases (a run of compute stages, then a run of communication stages, ...). A compute
 * stage that directly follows a communication phase but does not depend on it (DeepSeek's shared experts after
 * the combine) is hoisted into that phase, to run on the compute stream while its own communication is in
 * flight. Micro-batch m is delayed by m phases, so in every slot one micro-batch computes while the next one
 * communicates. For the DeepSeek MoE layer this yields DeepSeek's prefill order:
 * <pre>
 *   compute: attention(mb0) · shared(mb1, prev layer) · attention(mb1) · experts(mb0) · experts(mb1) · shared(mb0)
 *   comm:    combine(mb1, prev layer) · dispatch(mb0) · dispatch(mb1) · combine(mb0)
 * </pre>
 * Within a slot, compute steps are issued before communication steps, so a communication stage that blocks the
 * host (all-to-all-v counts) is issued only after the other micro-batch's independent compute is queued.
 */
public final class Schedules {
    private Schedules() {
    }

    /**
     * The sequential schedule: all steps on the compute stream, stage by stage, each stage for every micro-batch.
     *
     * @param <S>          the program's per-micro-batch state
     * @param program      the program
     * @param microBatches number of micro-batches, at least 1
     * @return the schedule
     * @throws InvalidArgumentException if {@code microBatches} is below 1
     */
    public static <S> Schedule<S> sequential(StageProgram<S> program, int microBatches) {
        checkMicroBatches(microBatches);
        List<Step> steps = new ArrayList<>();
        for (int stage = 0; stage < program.size(); stage++) {
            for (int mb = 0; mb < microBatches; mb++) {
                steps.add(new Step(mb, stage, StreamRole.COMPUTE, stage));
            }
        }
        return new Schedule<>(microBatches == 1 ? "sequential" : "sequential x" + microBatches, program, microBatches, steps);
    }

    /**
     * The overlapped schedule described in the class comment; the sequential one for a single micro-batch.
     *
     * @param <S>          the program's per-micro-batch state
     * @param program      the program
     * @param microBatches number of micro-batches, at least 1
     * @return the schedule
     * @throws InvalidArgumentException if {@code microBatches} is below 1
     */
    public static <S> Schedule<S> overlapped(StageProgram<S> program, int microBatches) {
        checkMicroBatches(microBatches);
        if (microBatches == 1) {
            return sequential(program, 1);
        }
        int[] phase = phases(program);
        record Placed(Step step, boolean hoisted) {
        }
        List<Placed> placed = new ArrayList<>();
        for (int mb = 0; mb < microBatches; mb++) {
            for (int stage = 0; stage < program.size(); stage++) {
                Stage<S> s = program.stage(stage);
                boolean hoisted = s.kind() == StageKind.COMPUTE && phaseKind(program, phase, stage) == StageKind.COMM;
                StreamRole role = s.kind() == StageKind.COMPUTE ? StreamRole.COMPUTE : StreamRole.COMM;
                placed.add(new Placed(new Step(mb, stage, role, phase[stage] + mb), hoisted));
            }
        }
        // Issue by slot; in a slot: regular compute, then hoisted compute, then communication; then by micro-batch.
        placed.sort(Comparator.<Placed>comparingInt(p -> p.step().slot())
                .thenComparingInt(p -> p.step().stream() == StreamRole.COMM ? 2 : p.hoisted() ? 1 : 0)
                .thenComparingInt(p -> p.step().microBatch())
                .thenComparingInt(p -> p.step().stage()));
        return new Schedule<>(microBatches == 2 ? "dbo" : "overlap x" + microBatches, program, microBatches,
                placed.stream().map(Placed::step).toList());
    }

    /**
     * Phase index of each stage: increases whenever the kind changes, except that a compute stage right after a
     * communication phase that depends on none of that phase's stages stays in it (hoisted).
     */
    static <S> int[] phases(StageProgram<S> program) {
        int[] phase = new int[program.size()];
        int current = 0;
        StageKind currentKind = program.stage(0).kind();
        int commPhaseStart = -1;
        boolean hoisting = false;
        for (int i = 0; i < program.size(); i++) {
            StageKind kind = program.stage(i).kind();
            if (i > 0) {
                if (currentKind == StageKind.COMM && kind == StageKind.COMPUTE
                        && independentOf(program, i, commPhaseStart, i)) {
                    hoisting = true;                      // stays in the communication phase's slot
                } else if (hoisting && kind == StageKind.COMPUTE && independentOf(program, i, commPhaseStart, i)) {
                    // keep hoisting consecutive independent compute stages
                } else if (kind != currentKind || hoisting) {
                    current++;
                    hoisting = false;
                    currentKind = kind;
                    if (kind == StageKind.COMM) {
                        commPhaseStart = i;
                    }
                }
            } else if (kind == StageKind.COMM) {
                commPhaseStart = 0;
            }
            phase[i] = current;
            if (hoisting && kind == StageKind.COMM) {
                throw new IllegalStateException("unreachable: communication stage while hoisting");
            }
        }
        return phase;
    }

    /** The kind of the phase a stage sits in (a hoisted compute stage sits in a communication phase). */
    private static <S> StageKind phaseKind(StageProgram<S> program, int[] phase, int stage) {
        for (int i = 0; i <= stage; i++) {
            if (phase[i] == phase[stage]) {
                return program.stage(i).kind();
            }
        }
        throw new IllegalStateException();
    }

    /** True when stage {@code i} depends on no stage in {@code [from, to)}, directly or through other stages. */
    private static <S> boolean independentOf(StageProgram<S> program, int i, int from, int to) {
        if (from < 0) {
            return true;
        }
        List<Integer> pending = new ArrayList<>(program.localDependencies(i));
        boolean[] seen = new boolean[program.size()];
        while (!pending.isEmpty()) {
            int d = pending.removeLast();
            if (seen[d]) {
                continue;
            }
            seen[d] = true;
            if (d >= from && d < to && program.stage(d).kind() == StageKind.COMM) {
                return false;
            }
            if (d >= from) {
                pending.addAll(program.localDependencies(d));
            }
        }
        return true;
    }

    private static void checkMicroBatches(int microBatches) {
        if (microBatches < 1) {
            throw new InvalidArgumentException("a schedule needs at least one micro-batch, got " + microBatches);
        }
    }
}
