package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.aclnn.Aclnn;

/** The aclnnStatus codes the safe classes report themselves (before any call), with their C names. */
public enum AclnnStatus {
    PARAM_INVALID(Aclnn.ACLNN_ERR_PARAM_INVALID(), "ACLNN_ERR_PARAM_INVALID"),
    INNER_TILING_ERROR(Aclnn.ACLNN_ERR_INNER_TILING_ERROR(), "ACLNN_ERR_INNER_TILING_ERROR");

    private final int code;
    private final String cName;

    AclnnStatus(int code, String cName) {
        this.code = code;
        this.cName = cName;
    }

    public int code() {
        return code;
    }

    /** The macro's name in CANN's headers. */
    public String cName() {
        return cName;
    }
}
