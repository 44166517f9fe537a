package dev.tandem.deepseek.model;

import dev.tandem.deepseek.schedule.MicroBatch;

import java.util.List;

/**
 * A micro-batch of request chunks on one rank. {@code ffnStart..ffnEnd} are the rows whose FFN this rank computes
 * (all rows under data-parallel attention; a contiguous slice of {@code ffnRowsPerRank} rows under tensor-parallel
 * attention, where the layer ends with an all-gather).
 */
public final class DecoderMicroBatch extends MicroBatch {
    private final List<Chunk> chunks;
    private final int tokens;
    private final int ffnStart;
    private final int ffnEnd;
    private final int ffnRowsPerRank;

    public DecoderMicroBatch(int index, List<Chunk> chunks, int ffnStart, int ffnEnd, int ffnRowsPerRank) {
        super(index);
        this.chunks = List.copyOf(chunks);
        int t = 0;
        for (Chunk c : chunks) {
            if (c.start() != t) {
                throw new IllegalArgumentException("chunks must tile the micro-batch rows in order");
            }
            t += c.length();
        }
        this.tokens = t;
        this.ffnStart = ffnStart;
        this.ffnEnd = ffnEnd;
        this.ffnRowsPerRank = ffnRowsPerRank;
    }

    public List<Chunk> chunks() {
        return chunks;
    }

    public int tokens() {
        return tokens;
    }

    public int ffnStart() {
        return ffnStart;
    }

    public int ffnEnd() {
        return ffnEnd;
    }

    public int ffnTokens() {
        return ffnEnd - ffnStart;
    }

    public int ffnRowsPerRank() {
        return ffnRowsPerRank;
    }
}
