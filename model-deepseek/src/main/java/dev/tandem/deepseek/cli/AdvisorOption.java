package dev.tandem.deepseek.cli;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.plan.PlanSetup;
import dev.tandem.deepseek.plan.PlannedScheduleAdvisor;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.LinkEmulation;
import dev.tandem.runtime.sim.HardwareProfile;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --advisor analytic|planned} and {@code --advisor-hardware host|PROFILE} of the engine commands: what decides
 * an {@code auto} step's schedule, the analytic cost model or the capacity planner (a {@link PlannedScheduleAdvisor}
 * on the engine's own deployment, costed with this machine or a shipped profile).
 */
final class AdvisorOption {
    /** The option names, for the commands' option lists. */
    static final List<String> NAMES = List.of("advisor", "advisor-hardware");

    /** The options' help lines, indented as the commands' usage. */
    static final String HELP = """
              --advisor NAME         what decides auto: analytic (cost model per stage, the default) or planned (the
                                     capacity planner simulates each step's batch, bucketed to powers of two and
                                     cached; a new bucket's first step pays the simulation, tens of ms for small layers)
              --advisor-hardware P   the planner's hardware: host (this machine, measured at start with --link,
                                     else 10 GB/s + 20 us; the default) or a shipped profile:
                                     %s
            """.formatted(String.join(", ", HardwareProfile.SHIPPED));

    private AdvisorOption() {
    }

    /**
     * Checks the options against the schedule before anything loads.
     *
     * @param o    the parsed options
     * @param auto whether the command's schedule is auto
     * @return whether the planned advisor is asked for
     * @throws UsageException if a value is unknown or the options do not apply
     */
    static boolean check(Map<String, String> o, boolean auto) {
        String name = o.getOrDefault("advisor", "analytic").toLowerCase(Locale.ROOT);
        if (!name.equals("analytic") && !name.equals("planned")) {
            throw new UsageException("--advisor must be analytic or planned, got '" + o.get("advisor") + "'");
        }
        boolean planned = name.equals("planned");
        if (o.containsKey("advisor") && !auto) {
            throw new UsageException("--advisor only applies to --schedule auto");
        }
        if (o.containsKey("advisor-hardware") && !planned) {
            throw new UsageException("--advisor-hardware only applies to --advisor planned");
        }
        return planned;
    }

    /**
     * The planned advisor for an engine running layers {@code range} of {@code config} on {@code ranks} ranks, or
     * null for the analytic default; says on {@code out} what it plans against.
     *
     * @throws UsageException if the hardware profile is unknown
     */
    static PlannedScheduleAdvisor advisor(Map<String, String> o, boolean auto, DeepSeekConfig config, int[] range,
                                          int ranks, AttentionMode attention, int computeThreads, LinkEmulation link,
                                          PrintStream out) {
        if (!check(o, auto)) {
            return null;
        }
        String hardware = o.getOrDefault("advisor-hardware", "host").toLowerCase(Locale.ROOT);
        long start = System.nanoTime();
        HardwareProfile profile;
        if (hardware.equals("host")) {
            profile = PlanSetup.hostProfile(config, attention, ranks, computeThreads, link);
        } else {
            try {
                profile = HardwareProfile.load(hardware);
            } catch (InvalidArgumentException e) {
                throw new UsageException("--advisor-hardware: " + e.getMessage());
            }
        }
        PlannedScheduleAdvisor advisor = new PlannedScheduleAdvisor(PlanSetup.engine(config, range[0], range[1], ranks,
                attention, profile));
        out.printf(Locale.ROOT, "schedule advisor: capacity planner on %d x %s (%s)%s%n", ranks, profile.name(),
                profile.description(), hardware.equals("host")
                        ? String.format(Locale.ROOT, ", measured in %.2f s", (System.nanoTime() - start) / 1e9) : "");
        return advisor;
    }

    /**
     * Warms {@code advisor} (if any) with the steps a benchmark of {@code requests} concurrent prompts of
     * {@code inputLen} tokens meets most: 1, 2, 4, ... of them prefilling at once (within the token budget), and,
     * when there are outputs, as many decoding after their prompt; prints what it cost.
     */
    static void warm(PlannedScheduleAdvisor advisor, int requests, int inputLen, int tokenBudget, int outputLen,
                     PrintStream out) {
        if (advisor == null) {
            return;
        }
        long start = System.nanoTime();
        List<PlannedScheduleAdvisor.BatchShape> shapes = new java.util.ArrayList<>();
        for (int n : PlannedScheduleAdvisor.BatchShape.bucketsUpTo(requests)) {
            int length = Math.min(inputLen, Math.max(1, tokenBudget / n));
            shapes.add(new PlannedScheduleAdvisor.BatchShape(n, length, 0, 0));
            if (outputLen > 1) {
                shapes.add(new PlannedScheduleAdvisor.BatchShape(0, 0, n, inputLen));
            }
        }
        int simulated = advisor.warm(shapes, 2);
        out.printf(Locale.ROOT, "capacity planner warmed with %d batch shape(s) in %.2f s%n", simulated,
                (System.nanoTime() - start) / 1e9);
    }

    /** Prints what the planner's simulations cost, if there is an advisor. */
    static void report(PlannedScheduleAdvisor advisor, PrintStream out) {
        if (advisor != null) {
            out.printf(Locale.ROOT, "capacity planner: %d batch shape(s) simulated in %d ms in all%n",
                    advisor.simulations(), advisor.simulatedMillis());
        }
    }
}
