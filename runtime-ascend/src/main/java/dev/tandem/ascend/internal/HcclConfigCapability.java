package dev.tandem.ascend.internal;

/**
 * What {@code HcclGetCommConfigCapability()} returned: every {@code HcclCommConfigCapability} value below
 * {@code value} is a config field the installed HCCL reads.
 */
public record HcclConfigCapability(int value) {
    /** Whether this HCCL reads {@code hcclExecTimeOut}. */
    public boolean supportsExecTimeout() {
        return Hc.supportsExecTimeout(value);
    }

    @Override
    public String toString() {
        return Integer.toString(value);
    }

    static HcclConfigCapability installed() {
        return new HcclConfigCapability(Hc.HcclGetCommConfigCapability());
    }
}
