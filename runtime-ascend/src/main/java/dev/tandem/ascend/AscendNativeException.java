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

    /** The numeric error code the call returned. */
    private final int code;
    /** The code's name from the CANN headers, or {@code UNKNOWN}. */
    private final String codeName;
    /** The CANN function that failed. */
    private final String function;
    /** The stripped {@code aclGetRecentErrMsg()} text, or an empty string. */
    private final String detail;

    /**
     * Creates the exception; the message names the function, library, code and code name, followed by the detail
     * when there is one.
     *
     * @param library  the library's name as shown in the message ({@code acl}, {@code aclnn}, {@code HCCL})
     * @param function the function that failed
     * @param code     the numeric error code it returned
     * @param codeName the code's name from the CANN headers, or {@code UNKNOWN}
     * @param detail   the text of {@code aclGetRecentErrMsg()} at the failure; {@code null} or blank when there is none
     */
    protected AscendNativeException(String library, String function, int code, String codeName, String detail) {
        super(function + " failed with " + library + " error " + code + " (" + codeName + ")"
                + (detail == null || detail.isBlank() ? "" : ": " + detail.strip()));
        this.code = code;
        this.codeName = codeName;
        this.function = function;
        this.detail = detail == null ? "" : detail.strip();
    }

    /**
     * The numeric error code the call returned.
     *
     * @return the error code
     */
    public int code() {
        return code;
    }

    /**
     * The code's name from the CANN headers.
     *
     * @return the name, or {@code UNKNOWN} when the headers do not list the code
     */
    public String codeName() {
        return codeName;
    }

    /**
     * The CANN function that failed.
     *
     * @return the function's name
     */
    public String function() {
        return function;
    }

    /**
     * The library's own message ({@code aclGetRecentErrMsg}).
     *
     * @return the stripped message, or an empty string
     */
    public String detail() {
        return detail;
    }
}
