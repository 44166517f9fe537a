/**
 * JMH benchmarks of the runtime, kernels, collectives, layers and FFM downcalls. Rule: performance claims
 * live here (and in the reports made from them), never in timed unit tests.
 */
package dev.tandem.jmh;
