package dev.tandem.runtime;

/**
 * Device memory in bytes, as the backend reports it.
 *
 * @param freeBytes  bytes not allocated
 * @param totalBytes the device's capacity
 */
public record MemoryInfo(long freeBytes, long totalBytes) {
    /**
     * Bytes in use.
     *
     * @return {@code totalBytes - freeBytes}
     */
    public long usedBytes() {
        return totalBytes - freeBytes;
    }
}
