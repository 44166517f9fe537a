package dev.tandem.deepseek.serving;

/**
 * Sequential versus overlapped outputs of one batch.
 *
 * @param bitwiseIdentical true when every float has the same bits
 * @param maxAbsDifference largest absolute difference (0 when identical)
 * @param elements         number of values compared
 */
public record EquivalenceReport(boolean bitwiseIdentical, double maxAbsDifference, int elements) {

    static EquivalenceReport compare(float[] sequential, float[] overlapped) {
        if (sequential.length != overlapped.length) {
            throw new IllegalStateException("outputs differ in length: " + sequential.length + " vs " + overlapped.length);
        }
        boolean identical = true;
        double max = 0;
        for (int i = 0; i < sequential.length; i++) {
            if (Float.floatToRawIntBits(sequential[i]) != Float.floatToRawIntBits(overlapped[i])) {
                identical = false;
                max = Math.max(max, Math.abs((double) sequential[i] - overlapped[i]));
            }
        }
        return new EquivalenceReport(identical, max, sequential.length);
    }

    @Override
    public String toString() {
        return bitwiseIdentical ? "bitwise identical (" + elements + " values)"
                : "DIFFERENT: max |difference| " + maxAbsDifference + " over " + elements + " values";
    }
}
