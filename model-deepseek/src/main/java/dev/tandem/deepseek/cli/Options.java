package dev.tandem.deepseek.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The subcommands' option syntax: {@code --name value}, {@code --name=value}, switches without a value, {@code --help}. */
final class Options {
    private Options() {
    }

    /**
     * Parses {@code args} (a leading {@code command} name is skipped) into option name to value ({@code ""} for
     * switches and {@code help}). Unknown, repeated or valueless options are usage errors.
     */
    static Map<String, String> parse(String command, String[] args, List<String> valued, List<String> switches) {
        Map<String, String> opts = new LinkedHashMap<>();
        int i = args.length > 0 && args[0].equals(command) ? 1 : 0;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                opts.put("help", "");
                continue;
            }
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "'");
            }
            String key = a.substring(2);
            String value = null;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            }
            if (switches.contains(key) && value == null) {
                value = "";
            } else if (!valued.contains(key)) {
                throw new UsageException("unknown option --" + key);
            } else if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException("option --" + key + " needs a value");
                }
                value = args[++i];
            }
            if (opts.put(key, value) != null) {
                throw new UsageException("option --" + key + " given twice");
            }
        }
        return opts;
    }
}
