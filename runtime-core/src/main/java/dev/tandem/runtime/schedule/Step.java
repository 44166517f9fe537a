package dev.tandem.runtime.schedule;

import dev.tandem.runtime.StreamRole;

/**
 * One issued unit of a schedule: stage {@code stage} of the program for micro-batch {@code microBatch}, on the
 * stream with {@code role}, in time slot {@code slot} (steps of one slot are meant to run concurrently).
 *
 * @param microBatch index of the micro-batch
 * @param stage      index of the stage in the program
 * @param stream     role of the stream the step is issued on
 * @param slot       time slot of the step
 */
public record Step(int microBatch, int stage, StreamRole stream, int slot) {
}
