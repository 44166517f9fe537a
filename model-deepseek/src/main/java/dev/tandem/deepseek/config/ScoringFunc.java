package dev.tandem.deepseek.config;

import java.util.Locale;

/** The router's score function ({@code scoring_func} in config.json). */
public enum ScoringFunc {
    SIGMOID("sigmoid"),
    SOFTMAX("softmax");

    private final String jsonName;

    ScoringFunc(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static ScoringFunc fromJson(String name) {
        for (ScoringFunc f : values()) {
            if (f.jsonName.equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new ConfigException("unsupported scoring_func \"" + name + "\"; expected sigmoid or softmax");
    }
}
