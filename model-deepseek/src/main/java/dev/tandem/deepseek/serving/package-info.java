/**
 * The serving API: an engine that owns a runtime, the weights and the KV caches and runs forward steps
 * under a chosen or advised schedule. Rule: this is where an application touches Tandem; it hides runners,
 * streams and communicators.
 */
package dev.tandem.deepseek.serving;
