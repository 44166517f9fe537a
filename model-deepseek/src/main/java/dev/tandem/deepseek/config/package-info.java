/**
 * DeepSeek model configurations (V2, V2-Lite, V3) read from Hugging Face {@code config.json} or presets.
 * Rule: a configuration is validated whole when it is built; an invalid one is a
 * {@link dev.tandem.deepseek.config.ConfigException} naming the field.
 */
package dev.tandem.deepseek.config;
