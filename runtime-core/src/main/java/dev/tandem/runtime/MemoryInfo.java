package dev.tandem.runtime;

/** Device memory in bytes, as the backend reports it. */
public record MemoryInfo(long freeBytes, long totalBytes) {
    public long usedBytes() {
        return totalBytes - freeBytes;
    }
}
