package dev.tandem.deepseek.demo;

import dev.tandem.runtime.sim.HardwareProfile;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One measurement window of {@link HostPredictionTest}: the host profiles measured between its timed forwards, the
 * forwards' times ([schedule][forward], nanoseconds; schedule 0 sequential, 1 DBO) and the CPU other processes used
 * meanwhile; judged against a prediction of both schedules.
 *
 * @param profiles    the host profiles measured during the window
 * @param measured    each schedule's timed forwards, nanoseconds
 * @param othersCores cores used by other processes (and the hypervisor, as steal time) during the window
 */
record PredictionWindow(List<HardwareProfile> profiles, long[][] measured, double othersCores) {
    /** The schedules, in the order of {@link #measured()}. */
    static final List<String> SCHEDULES = List.of("sequential", "dbo");
    /** How far a prediction may be from the median measured forward, as a fraction of it. */
    static final double TOLERANCE = 0.15;
    /** The most CPU, in cores, the rest of the machine may use during a window. */
    static final double OTHERS = 0.2;
    /**
     * The most the profiles' GEMM rates may deviate (median absolute deviation over the median) before the machine
     * counts as having changed speed during the window.
     */
    static final double SPEED_SPREAD = 0.05;
    /**
     * The most a schedule's forward times may deviate from their median (median absolute deviation over the median):
     * steady windows on the 2-core VM scatter 1.5-5%, windows that mix its fast and slow regimes more.
     */
    static final double SCATTER = 0.06;
    /**
     * The most a schedule's median may move between the two halves of its forwards. Medians of ten forwards that
     * scatter 3-5% differ by a few percent by chance alone; 10% is a change of regime.
     */
    static final double DRIFT = 0.10;

    /**
     * The verdict on one window.
     *
     * @param report  every figure: measured and predicted times, the noise measures
     * @param noise   why the machine was too noisy to judge, or null when it was steady
     * @param failure which prediction missed its measurement by more than {@link #TOLERANCE}, or null
     */
    record Judgement(String report, String noise, String failure) {
        /** Judged (steady, or noise ignored) and within the tolerance. */
        boolean passed(boolean ignoreNoise) {
            return (ignoreNoise || noise == null) && failure == null;
        }

        /** Judged (steady, or noise ignored) and outside the tolerance. */
        boolean failed(boolean ignoreNoise) {
            return (ignoreNoise || noise == null) && failure != null;
        }
    }

    /** Judged windows that must miss before the check fails: one miss alone may be the machine's noise. */
    static final int CONFIRMING_MISSES = 2;

    /** What the check concludes from its windows. */
    enum Outcome {
        /** A window was judged and within the tolerance. */
        PASSED,
        /** {@link #CONFIRMING_MISSES} windows were judged and missed, and none passed. */
        FAILED,
        /** Neither yet: every window so far was too noisy to judge, or one missed and none confirmed it. */
        UNDECIDED
    }

    /**
     * The check's conclusion from the verdicts on its windows so far, in the order they were measured.
     *
     * @param judgements  the windows' verdicts
     * @param ignoreNoise whether windows are judged whatever the noise rules say
     * @return passed if a window passed; failed if {@link #CONFIRMING_MISSES} were judged and missed before any
     *         passed; undecided otherwise
     */
    static Outcome outcome(List<Judgement> judgements, boolean ignoreNoise) {
        int misses = 0;
        for (Judgement j : judgements) {
            if (j.passed(ignoreNoise)) {
                return Outcome.PASSED;
            }
            if (j.failed(ignoreNoise) && ++misses == CONFIRMING_MISSES) {
                return Outcome.FAILED;
            }
        }
        return Outcome.UNDECIDED;
    }

    /**
     * Judges {@code predicted} (nanoseconds per schedule) against this window's median forwards, and whether the
     * machine was steady enough to tell: other processes' CPU, the spread of the profiles' GEMM rates, and each
     * schedule's scatter and drift between the halves of its forwards.
     *
     * @param predicted the predicted forward time of each schedule, nanoseconds
     * @return the verdict
     */
    Judgement judge(long[] predicted) {
        double[] peaks = profiles.stream().mapToDouble(hp -> hp.peak("f32")).toArray();
        double speedSpread = Medians.relativeDeviation(peaks);
        StringBuilder report = new StringBuilder();
        String noise = null;
        String failure = null;
        if (othersCores > OTHERS) {
            noise = String.format(Locale.ROOT, "other processes (and the hypervisor, as steal time) used %.2f cores, "
                    + "more than %.1f", othersCores, OTHERS);
        } else if (speedSpread > SPEED_SPREAD) {
            // the profiles measured between the forwards disagree on the machine's speed: it moved meanwhile
            noise = String.format(Locale.ROOT, "the profiles' GEMM rates deviate by %.1f%%", 100 * speedSpread);
        }
        for (int s = 0; s < SCHEDULES.size(); s++) {
            long[] times = measured[s];
            long median = Medians.median(times);
            double drift = Math.abs((double) Medians.median(Arrays.copyOfRange(times, times.length / 2, times.length))
                    / Medians.median(Arrays.copyOfRange(times, 0, times.length / 2)) - 1);
            double scatter = Medians.relativeDeviation(Arrays.stream(times).asDoubleStream().toArray());
            double error = (double) (predicted[s] - median) / median;
            String name = SCHEDULES.get(s);
            report.append(String.format(Locale.ROOT, "%s measured %.2f ms (scatter %.1f%%, halves %.1f%% apart), "
                            + "predicted %.2f ms (%+.1f%%); ", name, median / 1e6, 100 * scatter, 100 * drift,
                    predicted[s] / 1e6, 100 * error));
            if (noise == null && scatter > SCATTER) {
                // the same forward's times spread widely: their median is not one figure to predict
                noise = String.format(Locale.ROOT, "the %s forward's times deviate by %.1f%% from their median", name,
                        100 * scatter);
            } else if (noise == null && drift > DRIFT) {
                // the same forward early and late in the window moved: its speed is not one figure to predict
                noise = String.format(Locale.ROOT, "the %s forward's median moved by %.1f%% between the halves of "
                        + "the window", name, 100 * drift);
            }
            if (failure == null && Math.abs(error) > TOLERANCE) {
                failure = String.format(Locale.ROOT, "the %s prediction is %+.1f%% off, more than %.0f%%", name,
                        100 * error, 100 * TOLERANCE);
            }
        }
        report.append(String.format(Locale.ROOT, "%d forwards of each schedule, %d profiles (GEMM rates %.1f%% "
                + "apart); other processes used %.2f cores", measured[0].length, profiles.size(), 100 * speedSpread,
                othersCores));
        return new Judgement(report.toString(), noise, failure);
    }
}
