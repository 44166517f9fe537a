package dev.tandem.runtime.schedule;

/**
 * Tokens {@code [start, end)} of request {@code request}'s new tokens. A slice that does not start at 0 attends to
 * the earlier slice's keys and values as context.
 */
public record RequestSlice(int request, int start, int end) {
    public int tokens() {
        return end - start;
    }
}
