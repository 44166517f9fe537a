package dev.tandem.ascend.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The calling thread's pthread id, which {@code aclrtSubscribeReport} expects as the report thread id. */
public final class NativeThreads {
    private static final MethodHandle PTHREAD_SELF = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("pthread_self").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG));

    private NativeThreads() {
    }

    public static long pthreadSelf() {
        try {
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("pthread_self failed", t);
        }
    }

    /** ACL keeps the current device per OS thread; a virtual thread may move between carriers. */
    public static void requirePlatformThread(String what) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException(what + " must run on a platform thread: AscendCL binds the current device"
                    + " and context to the OS thread, and a virtual thread (" + Thread.currentThread()
                    + ") can move between carrier threads");
        }
    }
}
