package dev.tandem.ascend;

/** An error code returned by an AscendCL runtime call. */
public final class AclException extends AscendNativeException {
    private static final long serialVersionUID = 1L;

    public AclException(String function, int code, String codeName, String detail) {
        super("acl", function, code, codeName, detail);
    }
}
