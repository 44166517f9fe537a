/**
 * Cost estimation for DeepSeek stages: measured compute rate and an assumed interconnect turned into
 * per-stage time estimates for the planner and the overlap advisor. Rule: estimates advise a schedule, they never
 * change a result.
 */
package dev.tandem.deepseek.cost;
