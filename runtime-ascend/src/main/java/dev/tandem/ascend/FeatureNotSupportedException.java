package dev.tandem.ascend;

/**
 * {@code ACL_ERROR_RT_FEATURE_NOT_SUPPORT} (207000): this CANN release, driver or SoC does not offer the feature
 * the call asked for. Code that probes an optional feature can catch this type and fall back, the way torch_npu's
 * {@code NPU_CHECK_SUPPORTED_OR_ERROR} only logs a warning for this code. Any other failure stays a plain
 * {@link AclException}.
 */
public final class FeatureNotSupportedException extends AclException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for one failed call.
     *
     * @param function the AscendCL function that failed
     * @param code     the numeric error code it returned
     * @param codeName the code's name from the CANN headers, or {@code UNKNOWN}
     * @param detail   the text of {@code aclGetRecentErrMsg()} at the failure; {@code null} or blank when there is none
     */
    public FeatureNotSupportedException(String function, int code, String codeName, String detail) {
        super(function, code, codeName, detail);
    }
}
