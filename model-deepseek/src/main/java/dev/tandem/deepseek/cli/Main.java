package dev.tandem.deepseek.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one command-line entry: {@code tandem <command> [options]}: {@code forward} runs decoder layers
 * ({@link ForwardCommand}), {@code bench-serving} drives the engine like a serving benchmark
 * ({@link BenchServingCommand}), {@code plan} predicts overlap on simulated hardware ({@link PlanCommand}).
 * The main class of the runnable jar.
 */
public final class Main {
    /** A subcommand: runs with the arguments after its name and returns the exit code. */
    @FunctionalInterface
    interface Command {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    private record Entry(String summary, Command command) {
    }

    private static final Map<String, Entry> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("forward", new Entry("run decoder layers on hidden states (a checkpoint or a preset)",
                ForwardCommand::run));
        COMMANDS.put("bench-serving", new Entry("the seed's serving benchmark (QPS, TTFT, ITL) against the engine",
                BenchServingCommand::run));
        COMMANDS.put("plan", new Entry("predict a step's time and the gain of dual-batch overlap on simulated hardware",
                PlanCommand::run));
    }

    private Main() {
    }

    /**
     * Runs the {@code tandem} command line and exits with its code when it is not 0.
     *
     * @param args the command name, then its options
     */
    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /**
     * Runs {@code args[0]} with the rest; returns the exit code (2 for an unknown or missing command).
     *
     * @param args the command name, then its options
     * @param out  where the command's results go
     * @param err  where errors and usage go
     * @return the process exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(usage());
            return args.length == 0 ? 2 : 0;
        }
        Entry e = COMMANDS.get(args[0]);
        if (e == null) {
            err.println("tandem: unknown command '" + args[0] + "'");
            err.print(usage());
            return 2;
        }
        return e.command().run(Arrays.copyOfRange(args, 1, args.length), out, err);
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: tandem <command> [options]   (tandem <command> --help for its options)\n\ncommands:\n");
        COMMANDS.forEach((name, e) -> sb.append(String.format("  %-16s %s%n", name, e.summary())));
        return sb.toString();
    }
}
