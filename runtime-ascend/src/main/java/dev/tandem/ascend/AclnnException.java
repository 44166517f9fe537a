package dev.tandem.ascend;

/** An error code returned by an aclnn operator call. */
public final class AclnnException extends AscendNativeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for one failed call.
     *
     * @param function the aclnn function that failed
     * @param code     the numeric error code it returned
     * @param codeName the code's name from the CANN headers, or {@code UNKNOWN}
     * @param detail   the text of {@code aclGetRecentErrMsg()} at the failure; {@code null} or blank when there is none
     */
    public AclnnException(String function, int code, String codeName, String detail) {
        super("aclnn", function, code, codeName, detail);
    }
}
