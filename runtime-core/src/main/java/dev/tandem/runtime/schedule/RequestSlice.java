package dev.tandem.runtime.schedule;

/**
 * Tokens {@code [start, end)} of request {@code request}'s new tokens. A slice that does not start at 0 attends to
 * the earlier slice's keys and values as context.
 *
 * @param request index of the request in the batch
 * @param start   first new token of the slice, inclusive
 * @param end     end of the slice, exclusive
 */
public record RequestSlice(int request, int start, int end) {
    /**
     * The number of tokens in the slice.
     *
     * @return {@code end - start}
     */
    public int tokens() {
        return end - start;
    }
}
