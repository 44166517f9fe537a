package dev.tandem.deepseek.config;

/**
 * YaRN rope scaling ({@code rope_scaling} with type {@code yarn}).
 *
 * @param factor                        context extension factor f
 * @param originalMaxPositionEmbeddings L0, the pre-extension context length
 * @param betaFast                      high-frequency boundary (rotations)
 * @param betaSlow                      low-frequency boundary (rotations)
 * @param mscale                        cos/sin magnitude numerator parameter
 * @param mscaleAllDim                  cos/sin magnitude denominator parameter; also the softmax-scale correction
 */
public record YarnScaling(double factor, int originalMaxPositionEmbeddings, double betaFast, double betaSlow,
                          double mscale, double mscaleAllDim) {

    /**
     * Validates the fields.
     * @throws ConfigException if {@code factor < 1}, L0 is not positive, the betas are not {@code fast > slow > 0} or an mscale is negative
     */
    public YarnScaling {
        if (!(factor >= 1.0) || Double.isInfinite(factor)) {
            throw new ConfigException("rope_scaling.factor must be a finite number >= 1, got " + factor);
        }
        if (originalMaxPositionEmbeddings <= 0) {
            throw new ConfigException("rope_scaling.original_max_position_embeddings must be positive, got "
                    + originalMaxPositionEmbeddings);
        }
        if (!(betaFast > betaSlow) || !(betaSlow > 0)) {
            throw new ConfigException("rope_scaling needs beta_fast > beta_slow > 0, got beta_fast=" + betaFast
                    + " beta_slow=" + betaSlow);
        }
        if (mscale < 0 || mscaleAllDim < 0) {
            throw new ConfigException("rope_scaling mscale and mscale_all_dim must not be negative");
        }
    }

    /**
     * The real models' yarn: factor 40, L0 4096, beta 32/1, with the given mscale pair.
     * @param mscale       the {@code mscale} parameter
     * @param mscaleAllDim the {@code mscale_all_dim} parameter
     * @return the scaling
     */
    public static YarnScaling deepseek(double mscale, double mscaleAllDim) {
        return new YarnScaling(40, 4096, 32, 1, mscale, mscaleAllDim);
    }

    /**
     * {@code 0.1 * m * ln(f) + 1} when f > 1, else 1 (YaRN's magnitude correction).
     * @param factor context extension factor f
     * @param m      mscale parameter
     * @return the magnitude correction, at least 1 for non-negative m
     */
    public static double getMscale(double factor, double m) {
        return factor <= 1 ? 1.0 : 0.1 * m * Math.log(factor) + 1.0;
    }

    /**
     * The factor applied to cos and sin: get_mscale(f, mscale) / get_mscale(f, mscale_all_dim).
     * @return the cos/sin multiplier
     */
    public double attentionFactor() {
        return getMscale(factor, mscale) / getMscale(factor, mscaleAllDim);
    }

    /**
     * The softmax-scale multiplier m^2 with m = get_mscale(f, mscale_all_dim).
     * @return the multiplier for the attention softmax scale
     */
    public double softmaxScaleCorrection() {
        double m = getMscale(factor, mscaleAllDim);
        return m * m;
    }

    /**
     * YaRN inverse frequencies for a rope dimension {@code dim} (even) and base {@code theta}.
     * @param dim   rope dimension, even
     * @param theta rope base
     * @return {@code dim / 2} inverse frequencies in radians per position
     */
    public double[] inverseFrequencies(int dim, double theta) {
        int half = dim / 2;
        double low = Math.max(Math.floor(correctionDim(betaFast, dim, theta)), 0);
        double high = Math.min(Math.ceil(correctionDim(betaSlow, dim, theta)), dim - 1);
        if (low == high) {
            high += 0.001;
        }
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            double ext = Math.pow(theta, -2.0 * i / dim);
            double inter = ext / factor;
            double ramp = Math.min(Math.max((i - low) / (high - low), 0.0), 1.0);
            inv[i] = inter * ramp + ext * (1 - ramp);
        }
        return inv;
    }

    private double correctionDim(double rotations, int dim, double theta) {
        return dim * Math.log(originalMaxPositionEmbeddings / (2 * Math.PI * rotations)) / (2 * Math.log(theta));
    }
}
