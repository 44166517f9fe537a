package dev.tandem.ascend;

/**
 * An error code returned by an AscendCL runtime call. {@link FeatureNotSupportedException} is the subtype for
 * {@code ACL_ERROR_RT_FEATURE_NOT_SUPPORT}.
 */
public sealed class AclException extends AscendNativeException permits FeatureNotSupportedException {
    private static final long serialVersionUID = 1L;

    public AclException(String function, int code, String codeName, String detail) {
        super("acl", function, code, codeName, detail);
    }
}
