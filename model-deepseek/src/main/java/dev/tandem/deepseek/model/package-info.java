/**
 * The DeepSeek decoder layer (MLA attention, MoE with expert parallelism) as one stage program, and the
 * runner that executes it under any schedule. Rule: it uses the runtime API only, never a backend's classes.
 */
package dev.tandem.deepseek.model;
