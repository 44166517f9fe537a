package dev.tandem.jmh.report;

/**
 * One measured quantity of a benchmark: JMH's score, its 99.9% error half-width (NaN when JMH had too few
 * samples to give one) and unit as JMH wrote it.
 */
public record Metric(double score, double error, String unit) {
}
