package dev.tandem.ascend;

/** An error code returned by an HCCL call. */
public final class HcclException extends AscendNativeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception for one failed call.
     *
     * @param function the HCCL function that failed
     * @param code     the numeric error code it returned
     * @param codeName the code's name from the CANN headers, or {@code UNKNOWN}
     * @param detail   the text of {@code aclGetRecentErrMsg()} at the failure; {@code null} or blank when there is none
     */
    public HcclException(String function, int code, String codeName, String detail) {
        super("HCCL", function, code, codeName, detail);
    }
}
