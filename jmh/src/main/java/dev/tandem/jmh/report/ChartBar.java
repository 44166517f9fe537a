package dev.tandem.jmh.report;

/**
 * One bar of {@link SvgBarChart}.
 *
 * @param group    the heading the bar is drawn under; bars of one group share a scale
 * @param label    the text left of the bar
 * @param value    the bar's length in the group's scale
 * @param error    the half-width of the error whisker, NaN for none
 * @param unit     printed after the value
 * @param tooltip  shown by browsers on hover
 */
public record ChartBar(String group, String label, double value, double error, String unit, String tooltip) {
}
