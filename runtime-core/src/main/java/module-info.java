/** Tandem's backend-neutral runtime API and its pure-Java host backend. */
module dev.tandem.runtime {
    // The Vector API GEMM is used only when the application resolves this module (--add-modules).
    requires static jdk.incubator.vector;

    exports dev.tandem.runtime;
    exports dev.tandem.runtime.spi;
    exports dev.tandem.runtime.trace;
    exports dev.tandem.runtime.schedule;

    exports dev.tandem.runtime.sim;

    uses dev.tandem.runtime.spi.Backend;
    provides dev.tandem.runtime.spi.Backend with dev.tandem.runtime.host.HostBackend, dev.tandem.runtime.sim.SimBackend;
}
