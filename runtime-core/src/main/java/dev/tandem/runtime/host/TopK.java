package dev.tandem.runtime.host;

import dev.tandem.runtime.Tensor;

import java.util.Arrays;

/**
 * Per-row top-k. Order: larger values first; equal values (including -0.0 and +0.0) by lower index first; NaN
 * counts as smaller than every number (so it is picked only when a row has fewer than k numbers) and NaNs tie
 * with each other. Each candidate becomes a single long key that sorts in exactly that order, which makes the
 * selection a plain search for the k largest distinct keys.
 */
final class TopK {
    private TopK() {
    }

    /** For validated x [n, m], 0 <= k <= m, values [n, k] floating and indices [n, k] I32/I64. */
    static void topk(KernelLauncher launcher, Tensor x, int k, Tensor values, Tensor indices) {
        int n = x.size(0);
        int m = x.size(1);
        if (n == 0 || k == 0) {
            return;
        }
        TensorAccess xAccess = TensorAccess.of(launcher, x);
        TensorAccess valueAccess = TensorAccess.of(launcher, values);
        TensorAccess indexAccess = TensorAccess.of(launcher, indices);
        ParallelRanges.run(launcher, n, 4L * m, (from, to) -> {
            float[] row = new float[m];
            long[] keys = new long[m];
            float[] topValues = new float[k];
            long[] topIndices = new long[k];
            for (long r = from; r < to; r++) {
                xAccess.readFloats(r * m, row, 0, m);
                for (int j = 0; j < m; j++) {
                    keys[j] = key(row[j], j);
                }
                long[] best = largest(keys, k);
                for (int i = 0; i < k; i++) {
                    int j = indexOf(best[i]);
                    topIndices[i] = j;
                    topValues[i] = row[j];
                }
                valueAccess.writeFloats(r * k, topValues, 0, k);
                indexAccess.writeLongs(r * k, topIndices, 0, k);
            }
        });
    }

    /** A key whose signed order is the ranking: value (NaN lowest) in the high half, inverted index in the low. */
    static long key(float value, int index) {
        int ordered;
        if (Float.isNaN(value)) {
            ordered = Integer.MIN_VALUE;
        } else {
            int bits = Float.floatToRawIntBits(value + 0.0f); // -0.0 + 0.0 == +0.0: zeros tie
            ordered = bits ^ ((bits >> 31) & 0x7FFF_FFFF);   // sign-magnitude to two's complement order
        }
        return ((long) ordered << 32) | (~index & 0xFFFF_FFFFL);
    }

    private static int indexOf(long key) {
        return ~(int) key;
    }

    /** The {@code k} largest of {@code keys} (all distinct), in descending order. */
    private static long[] largest(long[] keys, int k) {
        long[] sorted;
        if ((long) k * 8 >= keys.length) {
            sorted = keys.clone();
            Arrays.sort(sorted);
            sorted = Arrays.copyOfRange(sorted, sorted.length - k, sorted.length);
        } else {
            sorted = smallestHeapOfLargest(keys, k);
            Arrays.sort(sorted);
        }
        for (int i = 0, j = k - 1; i < j; i++, j--) {
            long t = sorted[i];
            sorted[i] = sorted[j];
            sorted[j] = t;
        }
        return sorted;
    }

    /** A min-heap holding the k largest keys seen. */
    private static long[] smallestHeapOfLargest(long[] keys, int k) {
        long[] heap = Arrays.copyOf(keys, k);
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(heap, i);
        }
        for (int j = k; j < keys.length; j++) {
            if (keys[j] > heap[0]) {
                heap[0] = keys[j];
                siftDown(heap, 0);
            }
        }
        return heap;
    }

    private static void siftDown(long[] heap, int i) {
        int size = heap.length;
        while (true) {
            int smallest = i;
            int left = 2 * i + 1;
            int right = left + 1;
            if (left < size && heap[left] < heap[smallest]) {
                smallest = left;
            }
            if (right < size && heap[right] < heap[smallest]) {
                smallest = right;
            }
            if (smallest == i) {
                return;
            }
            long t = heap[i];
            heap[i] = heap[smallest];
            heap[smallest] = t;
            i = smallest;
        }
    }
}
