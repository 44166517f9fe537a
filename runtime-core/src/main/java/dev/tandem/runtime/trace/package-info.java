/**
 * Traces of device work and the overlap they show: spans, Chrome traces, SVG timelines and overlap metrics.
 * Rule: traces only observe; recording is off unless asked for and never changes what runs.
 */
package dev.tandem.runtime.trace;
