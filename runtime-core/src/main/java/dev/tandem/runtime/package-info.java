/**
 * Tandem's backend-neutral API: runtimes, devices, streams, events, device memory, tensors, kernels and
 * communicators, with CUDA/ACL semantics. Rule: nothing here names a backend; every method's checks and
 * exceptions are the same on every backend (they are written once, in {@link dev.tandem.runtime.spi}), and every
 * error is a {@link dev.tandem.runtime.TandemException}.
 */
package dev.tandem.runtime;
