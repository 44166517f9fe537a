/**
 * The pure-Java host backend (the default): emulated devices with one platform thread per stream,
 * host memory as device memory, the kernels in Java and in-process collectives. Rule: it implements the API's
 * semantics exactly, so any program that runs here runs the same on a device backend; not exported.
 */
package dev.tandem.runtime.host;
