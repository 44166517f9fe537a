/**
 * One program of stages and the schedules derived from it (sequential, dual-batch overlap, N micro-batches),
 * with micro-batch planning, cost estimates and the overlap advisor. Rule: a schedule changes only the order and
 * the streams of stages, never what they compute, so its result equals the sequential schedule's.
 */
package dev.tandem.runtime.schedule;
