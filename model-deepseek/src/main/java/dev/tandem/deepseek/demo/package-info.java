/**
 * The overlap demo (the project's main job): sequential against dual-batch overlap on in-process ranks
 * over an emulated link, with both outputs checked for bitwise equality. Rule: the demo only composes the public
 * API; anything it needs that the API lacks belongs in the API.
 */
package dev.tandem.deepseek.demo;
