package dev.tandem.deepseek.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code tandem} command-line entry: {@code forward} runs decoder layers ({@link ForwardCommand}),
 * {@code plan} predicts overlap on simulated hardware ({@link PlanCommand}).
 */
public final class Main {
    static final String USAGE = """
            usage: tandem COMMAND [options]   (tandem COMMAND --help for its options)
              forward   run DeepSeek decoder layers on a checkpoint or a seeded preset
              plan      predict a step's time and the gain of dual-batch overlap on simulated hardware
            """;

    private Main() {
    }

    /** Runs the subcommand named by the first argument and exits with its code when it is not 0. */
    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /** Dispatches to the subcommand; returns its exit code (2 for a missing or unknown one). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "forward" -> ForwardCommand.run(rest, out, err);
            case "plan" -> PlanCommand.run(rest, out, err);
            case "--help", "-h", "help" -> {
                out.print(USAGE);
                yield 0;
            }
            default -> {
                err.println("tandem: unknown command '" + args[0] + "'");
                err.print(USAGE);
                yield 2;
            }
        };
    }
}
