package dev.tandem.ascend;

/** An error code returned by an HCCL call. */
public final class HcclException extends AscendNativeException {
    private static final long serialVersionUID = 1L;

    public HcclException(String function, int code, String codeName, String detail) {
        super("HCCL", function, code, codeName, detail);
    }
}
