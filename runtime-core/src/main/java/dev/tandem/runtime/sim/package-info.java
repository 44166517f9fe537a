/**
 * The simulated accelerator backend {@code sim}: devices, streams, events, buffers, kernels and communicators
 * that compute nothing but advance virtual clocks by costs from a {@link dev.tandem.runtime.sim.HardwareProfile}.
 * It runs the same schedules as real backends, so traces and overlap reports of a simulated forward predict
 * what a real machine of that profile would do.
 */
package dev.tandem.runtime.sim;
