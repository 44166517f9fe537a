/**
 * Turns JMH result files into the README's tables and charts. Rule: reports only render measured results;
 * a malformed results file is a {@link dev.tandem.jmh.report.ReportException} naming file, line and column.
 */
package dev.tandem.jmh.report;
