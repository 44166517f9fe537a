package dev.tandem.ascend;

/**
 * An error code returned by an AscendCL runtime call. {@link FeatureNotSupportedException} is the subtype for
 * {@code ACL_ERROR_RT_FEATURE_NOT_SUPPORT}.
 */
public sealed class AclException extends AscendNativeException permits FeatureNotSupportedException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for one failed call.
     *
     * @param function the AscendCL function that failed
     * @param code     the numeric error code it returned
     * @param codeName the code's name from the CANN headers, or {@code UNKNOWN}
     * @param detail   the text of {@code aclGetRecentErrMsg()} at the failure; {@code null} or blank when there is none
     */
    public AclException(String function, int code, String codeName, String detail) {
        super("acl", function, code, codeName, detail);
    }
}
