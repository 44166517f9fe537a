package dev.tandem.ascend.internal;

import dev.tandem.ascend.AclException;
import dev.tandem.ascend.AclnnException;
import dev.tandem.ascend.FeatureNotSupportedException;
import dev.tandem.ascend.HcclException;
import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.aclnn.Aclnn;
import dev.tandem.ascend.ffi.hccl.Hccl;

import java.lang.foreign.MemorySegment;

/** Turns return codes into exceptions, with the code's header name and the library's last error text. */
public final class Check {
    private Check() {
    }

    public static void acl(String function, int rc) {
        if (rc != 0) {
            throw aclError(function, rc);
        }
    }

    /** The exception for an AscendCL code: {@link FeatureNotSupportedException} for 207000, else {@link AclException}. */
    /** {@code ACL_ERROR_RT_FEATURE_NOT_SUPPORT} for a feature Tandem found missing before calling {@code function}. */
    public static FeatureNotSupportedException aclFeatureNotSupported(String function, String detail) {
        return new FeatureNotSupportedException(function, AclRt.ACL_ERROR_RT_FEATURE_NOT_SUPPORT(),
                "ACL_ERROR_RT_FEATURE_NOT_SUPPORT", detail);
    }

    /** {@code HCCL_E_NOT_SUPPORT} for a collective Tandem found unsupported before calling {@code function}. */
    public static FeatureNotSupportedException hcclNotSupported(String function, String detail) {
        return new FeatureNotSupportedException(function, Hccl.HCCL_E_NOT_SUPPORT(), "HCCL_E_NOT_SUPPORT", detail);
    }

    public static AclException aclError(String function, int rc) {
        if (rc == AclRt.ACL_ERROR_RT_FEATURE_NOT_SUPPORT()) {
            return new FeatureNotSupportedException(function, rc, NativeCodes.aclName(rc), recentMessage());
        }
        return new AclException(function, rc, NativeCodes.aclName(rc), recentMessage());
    }

    public static void hccl(String function, int rc) {
        if (rc != 0) {
            throw hcclError(function, rc);
        }
    }

    public static HcclException hcclError(String function, int rc) {
        String text = recentMessage();
        String lib = string(Hccl.HcclGetErrorString(rc));
        return new HcclException(function, rc, NativeCodes.hcclName(rc),
                text.isEmpty() ? lib : text + (lib.isEmpty() ? "" : " [" + lib + "]"));
    }

    public static void aclnn(String function, int rc) {
        if (rc != 0) {
            throw new AclnnException(function, rc, NativeCodes.aclnnName(rc), recentMessage());
        }
    }

    /**
     * A pointer result that is NULL on failure (aclCreateTensor and friends). These functions return no status, so
     * the failure is reported as ACLNN_ERR_INNER_NULLPTR with the library's last error text, which names the cause.
     */
    public static MemorySegment aclnnObject(String function, MemorySegment result) {
        if (result == null || result.equals(MemorySegment.NULL)) {
            int code = Aclnn.ACLNN_ERR_INNER_NULLPTR();
            String text = recentMessage();
            throw new AclnnException(function, code, NativeCodes.aclnnName(code), "returned NULL" + (text.isEmpty() ? "" : ": " + text));
        }
        return result;
    }

    /** {@code aclGetRecentErrMsg()} of the calling thread, or an empty string. */
    public static String recentMessage() {
        try {
            return string(AclRt.aclGetRecentErrMsg());
        } catch (RuntimeException | LinkageError e) {
            return "";
        }
    }

    public static String string(MemorySegment cString) {
        if (cString == null || cString.equals(MemorySegment.NULL)) {
            return "";
        }
        return cString.reinterpret(Integer.MAX_VALUE).getString(0);
    }
}
