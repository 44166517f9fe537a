/**
 * The capacity planner: runs the real DeepSeek stage programs and schedules on the simulated backend at
 * production scale, and predicts whether dual-batch overlap pays for a model, hardware, layout and batch.
 */
package dev.tandem.deepseek.plan;
