package dev.tandem.ascend.internal;

/** What {@link Acl#getMemInfo} found: free and total bytes. */
public record MemInfo(long free, long total) {
}
