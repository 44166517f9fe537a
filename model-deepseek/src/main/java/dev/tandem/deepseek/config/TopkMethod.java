package dev.tandem.deepseek.config;

import java.util.Locale;

/** How the MoE router picks experts ({@code topk_method} in config.json). */
public enum TopkMethod {
    /** V3/R1: sigmoid scores plus a selection-only correction bias, group-limited with group score = sum of top-2. */
    NOAUX_TC("noaux_tc"),
    /** V2: softmax scores, group-limited with group score = max in the group. */
    GROUP_LIMITED_GREEDY("group_limited_greedy"),
    /** V2-Lite: plain top-k of the softmax scores. */
    GREEDY("greedy");

    private final String jsonName;

    TopkMethod(String jsonName) {
        this.jsonName = jsonName;
    }

    /** {@return the name used in config.json} */
    public String jsonName() {
        return jsonName;
    }

    /**
     * Parses a config.json {@code topk_method} value, case-insensitively.
     * @param name the JSON value
     * @return the method
     * @throws ConfigException if the name is not supported
     */
    public static TopkMethod fromJson(String name) {
        for (TopkMethod m : values()) {
            if (m.jsonName.equals(name.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new ConfigException("unsupported topk_method \"" + name + "\"; expected noaux_tc, group_limited_greedy or greedy");
    }
}
