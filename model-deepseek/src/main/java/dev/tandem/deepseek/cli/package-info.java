/**
 * The forward command line. Rule: a usage mistake is a {@link dev.tandem.deepseek.cli.UsageException}
 * printed with the usage, exit code 2; a failure of the run exits with 1.
 */
package dev.tandem.deepseek.cli;
