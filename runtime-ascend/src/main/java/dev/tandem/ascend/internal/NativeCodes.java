package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.aclnn.Aclnn;
import dev.tandem.ascend.ffi.hccl.Hccl;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Names of return codes, read by reflection from the constants jextract generated out of our headers, so that
 * each value is written down only once (in the header).
 */
public final class NativeCodes {
    public static final String UNKNOWN = "UNKNOWN";

    private static final Map<Integer, String> ACL = table(AclRt.class, n -> n.startsWith("ACL_ERROR_") || n.equals("ACL_SUCCESS"));
    private static final Map<Integer, String> HCCL = table(Hccl.class, n -> n.startsWith("HCCL_E_") || n.equals("HCCL_SUCCESS"));
    private static final Map<Integer, String> ACLNN = table(Aclnn.class, n -> n.startsWith("ACLNN_"));

    private NativeCodes() {
    }

    public static String aclName(int code) {
        return ACL.getOrDefault(code, UNKNOWN);
    }

    public static String hcclName(int code) {
        return HCCL.getOrDefault(code, UNKNOWN);
    }

    /** aclnn calls can also return AscendCL runtime codes; those are named too. */
    public static String aclnnName(int code) {
        String name = ACLNN.get(code);
        return name != null ? name : ACL.getOrDefault(code, UNKNOWN);
    }

    private static Map<Integer, String> table(Class<?> header, Predicate<String> wanted) {
        Map<Integer, String> names = new HashMap<>();
        for (Class<?> c = header; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers())
                        && m.getParameterCount() == 0 && m.getReturnType() == int.class && wanted.test(m.getName())) {
                    try {
                        int value = (int) m.invoke(null);
                        // Aliases (ACL_ERROR_NONE for 0): keep the first name in sorted order for stable output.
                        names.merge(value, m.getName(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException("cannot read constant " + m.getName(), e);
                    }
                }
            }
        }
        return Map.copyOf(names);
    }
}
