/**
 * The thin checked layer over the generated bindings: each native call returns normally or throws the
 * exception its return code maps to. Rule: no policy here, only calls and code mapping; not exported.
 */
package dev.tandem.ascend.internal;
