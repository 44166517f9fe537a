/**
 * What a backend builds on: the {@link dev.tandem.runtime.spi.Backend} service, the one handle base
 * ({@link dev.tandem.runtime.spi.Handle}, {@link dev.tandem.runtime.spi.StreamHandle}), child closing
 * ({@link dev.tandem.runtime.spi.Closer}) and the contract every backend calls before its own code
 * ({@link dev.tandem.runtime.spi.KernelContract}, {@link dev.tandem.runtime.spi.CollectiveContract},
 * {@link dev.tandem.runtime.spi.EventRules}). Rule: a check or a close/ownership rule that two backends would
 * otherwise each write lives here, once.
 */
package dev.tandem.runtime.spi;
