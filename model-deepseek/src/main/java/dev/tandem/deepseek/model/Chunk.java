package dev.tandem.deepseek.model;

/**
 * A run of consecutive tokens of one request inside a micro-batch: rows {@code [start, start+length)} of the
 * micro-batch. It attends to everything its sequence cached before it (earlier steps, or an earlier chunk of
 * the same prefill in another micro-batch issued before it) plus itself, causally.
 * @param sequence the request's per-rank sequence state (KV caches)
 * @param start    first micro-batch row of the chunk
 * @param length   number of tokens in the chunk
 */
public record Chunk(RankSequence sequence, int start, int length) {
}
