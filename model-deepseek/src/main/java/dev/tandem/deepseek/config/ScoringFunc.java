package dev.tandem.deepseek.config;

import java.util.Locale;

/** The router's score function ({@code scoring_func} in config.json). */
public enum ScoringFunc {
    /** Element-wise sigmoid of the router logits (V3/R1). */
    SIGMOID("sigmoid"),
    /** Softmax over the router logits (V2, V2-Lite). */
    SOFTMAX("softmax");

    private final String jsonName;

    ScoringFunc(String jsonName) {
        this.jsonName = jsonName;
    }

    /** {@return the name used in config.json} */
    public String jsonName() {
        return jsonName;
    }

    /**
     * Parses a config.json {@code scoring_func} value, case-insensitively.
     * @param name the JSON value
     * @return the score function
     * @throws ConfigException if the name is not supported
     */
    public static ScoringFunc fromJson(String name) {
        for (ScoringFunc f : values()) {
            if (f.jsonName.equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new ConfigException("unsupported scoring_func \"" + name + "\"; expected sigmoid or softmax");
    }
}
