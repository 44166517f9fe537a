package dev.tandem.runtime.conformance;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Moves small integer values to and from a tensor of any dtype, for exact collective oracles. */
final class Encoding {
    private Encoding() {
    }

    static void upload(Stream stream, Tensor t, long[] values) {
        switch (t.dtype()) {
            case F32, F16, BF16 -> {
                float[] f = new float[values.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = values[i];
                }
                stream.upload(f, t);
            }
            case I64 -> stream.upload(values, t);
            case I32 -> {
                int[] v = new int[values.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (int) values[i];
                }
                stream.upload(v, t);
            }
            case I8, U8, BOOL -> {
                byte[] b = new byte[values.length];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) values[i];
                }
                stream.copyFromHost(MemorySegment.ofArray(b), t.buffer(), t.byteOffset());
            }
        }
    }

    static long[] download(Stream stream, Tensor t) {
        int n = Math.toIntExact(t.numel());
        long[] out = new long[n];
        switch (t.dtype()) {
            case F32, F16, BF16 -> {
                float[] f = stream.readFloats(t);
                for (int i = 0; i < n; i++) {
                    out[i] = (long) f[i];
                }
            }
            case I64 -> {
                stream.download(t, out);
                stream.synchronize();
            }
            case I32 -> {
                int[] v = new int[n];
                stream.download(t, v);
                stream.synchronize();
                for (int i = 0; i < n; i++) {
                    out[i] = v[i];
                }
            }
            case I8, U8, BOOL -> {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment seg = arena.allocate(Math.max(n, 1));
                    stream.copyToHost(t.buffer(), t.byteOffset(), seg.asSlice(0, n));
                    stream.synchronize();
                    for (int i = 0; i < n; i++) {
                        byte b = seg.get(ValueLayout.JAVA_BYTE, i);
                        out[i] = t.dtype() == DType.I8 ? b : b & 0xFF;
                    }
                }
            }
        }
        return out;
    }
}
