package dev.tandem.runtime.schedule;

import dev.tandem.runtime.StreamRole;

import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Predicts how long a schedule takes from per-step cost estimates: each stream runs its steps in issue order,
 * each step starting when its stream is free and its dependencies have finished. Used to decide whether (and
 * where) to overlap before running anything.
 */
public final class ScheduleSimulator {
    private ScheduleSimulator() {
    }

    /**
     * Predicted totals, in nanoseconds.
     *
     * @param makespanNanos time until the last step finishes
     * @param computeNanos  summed cost of the steps on the compute stream
     * @param commNanos     summed cost of the steps on the communication stream
     */
    public record Prediction(long makespanNanos, long computeNanos, long commNanos) {
    }

    /**
     * Predicts a schedule's totals: steps run in issue order on their stream (COMM steps on the communication
     * stream, all others on the compute stream), each after its dependencies finish.
     *
     * @param <S>      the program's state type
     * @param schedule the schedule to predict
     * @param cost     estimated nanoseconds of each step; negative estimates count as 0
     * @return the predicted makespan and busy times
     */
    public static <S> Prediction predict(Schedule<S> schedule, ToLongFunction<Step> cost) {
        List<Step> steps = schedule.steps();
        long[] finish = new long[steps.size()];
        long computeFree = 0;
        long commFree = 0;
        long computeBusy = 0;
        long commBusy = 0;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            long ready = 0;
            for (int d : schedule.dependencies(i)) {
                ready = Math.max(ready, finish[d]);
            }
            long c = Math.max(0, cost.applyAsLong(s));
            if (s.stream() == StreamRole.COMM) {
                long start = Math.max(ready, commFree);
                finish[i] = start + c;
                commFree = finish[i];
                commBusy += c;
            } else {
                long start = Math.max(ready, computeFree);
                finish[i] = start + c;
                computeFree = finish[i];
                computeBusy += c;
            }
        }
        return new Prediction(Math.max(computeFree, commFree), computeBusy, commBusy);
    }
}
