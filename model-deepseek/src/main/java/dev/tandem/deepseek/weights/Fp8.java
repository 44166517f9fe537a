package dev.tandem.deepseek.weights;

/**
 * FP8 E4M3 ("e4m3fn": 1 sign, 4 exponent bits with bias 7, 3 mantissa bits, no infinities, NaN = all ones)
 * and the 128x128 block dequantization DeepSeek-V3 ships with ({@code weight_scale_inv}).
 */
public final class Fp8 {
    private static final float[] DECODE = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            int sign = (b >> 7) & 1;
            int exp = (b >> 3) & 0xF;
            int man = b & 7;
            float v;
            if (exp == 0xF && man == 7) {
                v = Float.NaN;
            } else if (exp == 0) {
                v = man / 8.0f * 0x1p-6f;
            } else {
                v = (1 + man / 8.0f) * (float) Math.pow(2, exp - 7);
            }
            DECODE[b] = sign == 1 ? -v : v;
        }
    }

    private Fp8() {
    }

    /** Largest finite E4M3 magnitude. */
    public static final float MAX = 448f;

    /**
     * Decodes an E4M3 byte.
     * @param bits the FP8 E4M3 bit pattern
     * @return its value as a float (NaN for the NaN codes)
     */
    public static float e4m3ToFloat(byte bits) {
        return DECODE[bits & 0xFF];
    }

    /**
     * Rounds to the nearest E4M3 value (ties to even), saturating at +-448; NaN stays NaN.
     * @param value the value to encode
     * @return the E4M3 bit pattern
     */
    public static byte floatToE4m3(float value) {
        if (Float.isNaN(value)) {
            return (byte) 0x7F;
        }
        int sign = value < 0 || (value == 0 && 1 / value < 0) ? 0x80 : 0;
        double a = Math.min(Math.abs((double) value), MAX);
        int best;
        if (a < 0x1p-6) {
            best = (int) Math.rint(a / 0x1p-9); // subnormals; 8 rounds up into the smallest normal (code 8)
        } else {
            int e = Math.getExponent(a);
            int m = (int) Math.rint((a / Math.scalb(1.0, e) - 1) * 8);
            if (m == 8) {
                e++;
                m = 0;
            }
            best = Math.min(((e + 7) << 3) | m, 0x7E);
        }
        return (byte) (sign | best);
    }

    /**
     * {@code W[i,j] = q[i,j] * scaleInv[i / blockRows, j / blockCols]} for a {@code [rows, cols]} weight.
     * @param q         {@code rows * cols} E4M3 bytes, row-major
     * @param rows      weight rows
     * @param cols      weight columns
     * @param scaleInv  {@code [ceil(rows / blockRows), ceil(cols / blockCols)]} inverse scales, row-major
     * @param blockRows rows per scale block
     * @param blockCols columns per scale block
     * @return the dequantized {@code rows * cols} floats, row-major
     * @throws IllegalArgumentException if {@code scaleInv} has the wrong length
     */
    public static float[] dequantize(byte[] q, int rows, int cols, float[] scaleInv, int blockRows, int blockCols) {
        int sr = (rows + blockRows - 1) / blockRows;
        int sc = (cols + blockCols - 1) / blockCols;
        if (scaleInv.length != sr * sc) {
            throw new IllegalArgumentException("scale tensor has " + scaleInv.length + " elements, expected " + sr + "x" + sc);
        }
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            int srow = (i / blockRows) * sc;
            for (int j = 0; j < cols; j++) {
                out[i * cols + j] = DECODE[q[i * cols + j] & 0xFF] * scaleInv[srow + j / blockCols];
            }
        }
        return out;
    }
}
