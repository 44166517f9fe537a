package dev.tandem.runtime.host;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * What a collective reads from its peers before any rank writes (a rank's output may be a peer's input), one piece
 * per peer, in arrays the stream thread that runs the collective reuses: every collective used to copy each
 * payload into fresh arrays, a third of a forward's garbage. A thread keeps about {@link #MAX_KEPT} bytes at most
 * (a piece above its share is allocated per call). The pieces stay valid until the next collective on the same
 * thread, which is after this one has written them.
 */
final class PeerCopies {
    /** The most a thread keeps for reuse, all pieces together: 16 MiB. */
    static final int MAX_KEPT = 1 << 24;

    private static final ThreadLocal<byte[][]> KEPT = ThreadLocal.withInitial(() -> new byte[0][]);

    private final byte[][] kept;
    private final byte[][] pieces;
    private final int[] lengths;

    /** Room for {@code count} pieces, on the calling thread's arrays. */
    PeerCopies(int count) {
        byte[][] arrays = KEPT.get();
        if (arrays.length < count) {
            arrays = Arrays.copyOf(arrays, count);
            KEPT.set(arrays);
        }
        kept = arrays;
        pieces = new byte[count][];
        lengths = new int[count];
    }

    /** Copies {@code bytes} bytes of {@code source} from {@code byteOffset} as piece {@code piece}. */
    void read(int piece, MemorySegment source, long byteOffset, int bytes) {
        byte[] array = kept[piece];
        if (array == null || array.length < bytes) {
            array = new byte[bytes];
            if (bytes <= MAX_KEPT / kept.length) {
                kept[piece] = array;
            }
        }
        MemorySegment.copy(source, ValueLayout.JAVA_BYTE, byteOffset, array, 0, bytes);
        pieces[piece] = array;
        lengths[piece] = bytes;
    }

    /** Writes piece {@code piece} into {@code target} at {@code byteOffset}; nothing if it was never read. */
    void write(int piece, MemorySegment target, long byteOffset) {
        if (pieces[piece] != null) {
            MemorySegment.copy(pieces[piece], 0, target, ValueLayout.JAVA_BYTE, byteOffset, lengths[piece]);
        }
    }
}
