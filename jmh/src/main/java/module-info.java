/** JMH benchmarks of Tandem (run from the shaded benchmarks.jar, where this descriptor is not used). */
open module dev.tandem.jmh {
    requires dev.tandem.runtime;
    requires jmh.core;
}
