/**
 * Safetensors files and checkpoints (read, written, FP8 dequantised) and the per-layer weights built
 * from them. Rule: a missing, truncated or corrupt file is a
 * {@link dev.tandem.deepseek.weights.SafetensorsException} naming the file and tensor, never a crash.
 */
package dev.tandem.deepseek.weights;
