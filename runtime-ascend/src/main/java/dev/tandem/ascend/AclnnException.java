package dev.tandem.ascend;

/** An error code returned by an aclnn operator call. */
public final class AclnnException extends AscendNativeException {
    private static final long serialVersionUID = 1L;

    public AclnnException(String function, int code, String codeName, String detail) {
        super("aclnn", function, code, codeName, detail);
    }
}
