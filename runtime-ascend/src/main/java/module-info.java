/**
 * Tandem's Ascend NPU backend. The jextract-generated packages {@code dev.tandem.ascend.ffi.*} and the
 * checked-call layer {@code dev.tandem.ascend.internal} are deliberately not exported.
 */
module dev.tandem.ascend {
    requires transitive dev.tandem.runtime;

    exports dev.tandem.ascend;

    provides dev.tandem.runtime.spi.Backend with dev.tandem.ascend.AscendBackend;
}
