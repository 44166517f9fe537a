package dev.tandem.jmh;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.AttentionMode;
import dev.tandem.deepseek.plan.CapacityPlanner;
import dev.tandem.deepseek.plan.PlanSetup;
import dev.tandem.deepseek.plan.SimulateRanks;
import dev.tandem.runtime.sim.HardwareProfile;
import dev.tandem.runtime.sim.RoutingModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * How long the capacity planner takes to simulate one full DeepSeek-R1 prefill step (61 layers, 256 experts) on
 * {@code nodes} x 8 H800 (EP 16 by default; {@code -p nodes=32} for EP 256), setup of the simulated machine
 * included, with a representative subset of 8 ranks ({@code ranks=auto}: every rank has the same batch) or every
 * rank simulated ({@code ranks=all}): the target is 2 s on one core (run with
 * {@code -jvmArgsAppend -XX:ActiveProcessorCount=1} to hold it to one).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PlannerBenchmarks {
    /** sequential: one step; dbo: the sequential and the dual-batch-overlap step, as {@code plan} runs them. */
    @Param({"sequential", "dbo"})
    public String schedule;

    /** New prefill tokens per device (one request per rank). */
    @Param({"4096"})
    public int tokens;

    /** Nodes of 8 H800: the expert-parallel group is 8 x nodes ranks, one request per rank. */
    @Param({"2"})
    public int nodes;

    /** Which ranks are simulated: {@code auto} (a subset of 8 here) or {@code all} (see {@code SimulateRanks}). */
    @Param({"auto", "all"})
    public String ranks;

    private PlanSetup setup;

    /** The planned configuration: R1 on {@code nodes} nodes of 8 H800, DP attention, EP 8 x nodes, FP8. */
    @Setup(Level.Trial)
    public void setUp() {
        int ep = 8 * nodes;
        setup = new PlanSetup("deepseek-r1", DeepSeekConfig.preset("deepseek-r1"), 61, HardwareProfile.load("h800"),
                nodes, AttentionMode.DP, 1, ep, "fp8", ep, tokens, 0, 0, 2, RoutingModel.balanced());
    }

    /** Plans the step; returns the plan so the work cannot be optimised away. */
    @Benchmark
    public CapacityPlanner.Plan plan() {
        return CapacityPlanner.plan(setup, schedule.equals("dbo"), SimulateRanks.parse(ranks));
    }
}
