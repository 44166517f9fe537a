package dev.tandem.ascend;

import dev.tandem.runtime.TandemException;

/**
 * A CANN library call returned an error. Carries the numeric code, its name from the CANN headers
 * ({@code UNKNOWN} when the header does not list it), the function that failed and the text of
 * {@code aclGetRecentErrMsg()} at the time of the failure.
 */
public abstract sealed class AscendNativeException extends TandemException
        permits AclException, HcclException, AclnnException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String codeName;
    private final String function;
    private final String detail;

    protected AscendNativeException(String library, String function, int code, String codeName, String detail) {
        super(function + " failed with " + library + " error " + code + " (" + codeName + ")"
                + (detail == null || detail.isBlank() ? "" : ": " + detail.strip()));
        this.code = code;
        this.codeName = codeName;
        this.function = function;
        this.detail = detail == null ? "" : detail.strip();
    }

    public int code() {
        return code;
    }

    public String codeName() {
        return codeName;
    }

    public String function() {
        return function;
    }

    /** The library's own message ({@code aclGetRecentErrMsg}), or an empty string. */
    public String detail() {
        return detail;
    }
}
