package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Checked AscendCL runtime calls (libascendcl) for the safe classes, which never touch the generated {@code ffi}
 * packages.
 * Each method takes the C arguments, calls the downcall and turns a failure code into an exception
 * ({@link Check}). {@link Raw} returns the code instead, for the few callers that handle specific codes
 * (timeouts, out-of-memory) or clean up on a path that must not throw.
 */
public final class Acl {
    private Acl() {
    }

    /**
     * One {@code aclrtProcessReport(timeoutMs)} on the calling (subscribed) thread: whether it ran or idled, or found
     * no subscription; any other code is thrown as an {@link dev.tandem.ascend.AclException}.
     */
    public static ReportPoll processReport(int timeoutMs) {
        int rc = AclRt.aclrtProcessReport(timeoutMs);
        if (rc == 0 || rc == AclRt.ACL_ERROR_RT_REPORT_TIMEOUT() || rc == AclRt.ACL_ERROR_WAIT_CALLBACK_TIMEOUT()) {
            return ReportPoll.IDLE_OR_DELIVERED;
        }
        if (rc == AclRt.ACL_ERROR_RT_THREAD_SUBSCRIBE() || rc == AclRt.ACL_ERROR_THREAD_NOT_SUBSCRIBE()) {
            return ReportPoll.NOT_SUBSCRIBED;
        }
        throw Check.aclError("aclrtProcessReport", rc);
    }

    /** {@code aclrtCreateEventExWithFlag} with the given flags ORed together; returns the new event handle. */
    public static MemorySegment createEvent(EventFlag... flags) {
        int bits = 0;
        for (EventFlag f : flags) {
            bits |= f.value();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Check.acl("aclrtCreateEventExWithFlag", AclRt.aclrtCreateEventExWithFlag(out, bits));
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** {@code aclrtQueryEventStatus}: whether the work before the event's last record has finished. */
    public static EventStatus queryEventStatus(MemorySegment event) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            Check.acl("aclrtQueryEventStatus", AclRt.aclrtQueryEventStatus(event, status));
            return EventStatus.of(status.get(ValueLayout.JAVA_INT, 0));
        }
    }

    /** {@code aclrtEventElapsedTime}: milliseconds between two recorded timing events. */
    public static float eventElapsedTime(MemorySegment startEvent, MemorySegment endEvent) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ms = arena.allocate(ValueLayout.JAVA_FLOAT);
            Check.acl("aclrtEventElapsedTime", AclRt.aclrtEventElapsedTime(ms, startEvent, endEvent));
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    /** {@code aclrtCreateStreamWithConfig} with the given flags ORed together; returns the new stream handle. */
    public static MemorySegment createStream(int priority, StreamFlag... flags) {
        int bits = 0;
        for (StreamFlag f : flags) {
            bits |= f.value();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Check.acl("aclrtCreateStreamWithConfig", AclRt.aclrtCreateStreamWithConfig(out, priority, bits));
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** {@code aclrtStreamQuery}: whether every task on the stream has finished. */
    public static StreamStatus queryStream(MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            Check.acl("aclrtStreamQuery", AclRt.aclrtStreamQuery(stream, status));
            return StreamStatus.of(status.get(ValueLayout.JAVA_INT, 0));
        }
    }

    public static void memcpyAsync(MemorySegment dst, long destMax, MemorySegment src, long count, MemcpyKind kind,
            MemorySegment stream) {
        Check.acl("aclrtMemcpyAsync", AclRt.aclrtMemcpyAsync(dst, destMax, src, count, kind.value(), stream));
    }

    /** {@code aclrtGetMemInfo}: free and total bytes of the current device's memory of kind {@code attr}. */
    public static MemInfo getMemInfo(MemAttr attr) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            Check.acl("aclrtGetMemInfo", AclRt.aclrtGetMemInfo(attr.value(), free, total));
            return new MemInfo(free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    /** {@code aclrtGetDeviceCount}: how many devices this process can see. */
    public static int getDeviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(ValueLayout.JAVA_INT);
            Check.acl("aclrtGetDeviceCount", AclRt.aclrtGetDeviceCount(n));
            return n.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** {@code aclrtDeviceCanAccessPeer}: whether {@code deviceId} can reach {@code peerDeviceId}'s memory. */
    public static boolean deviceCanAccessPeer(int deviceId, int peerDeviceId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment can = arena.allocate(ValueLayout.JAVA_INT);
            Check.acl("aclrtDeviceCanAccessPeer", AclRt.aclrtDeviceCanAccessPeer(can, deviceId, peerDeviceId));
            return can.get(ValueLayout.JAVA_INT, 0) == 1;
        }
    }

    /** Whether {@code rc} is one of the runtime's out-of-memory codes (two runtime ones and the older ACL one). */
    public static boolean isOutOfMemory(int rc) {
        return rc == AclRt.ACL_ERROR_RT_MEMORY_ALLOCATION() || rc == AclRt.ACL_ERROR_RT_DEVICE_OOM()
                || rc == AclRt.ACL_ERROR_BAD_ALLOC();
    }

    /** Whether a synchronize-with-timeout code means the wait ran out, not that the work failed. */
    public static boolean isWaitTimeout(int rc) {
        return rc == AclRt.ACL_ERROR_RT_STREAM_SYNC_TIMEOUT() || rc == AclRt.ACL_ERROR_RT_WAIT_TIMEOUT();
    }

    /** Whether a stream failure code is CANN's task timeout (507048), as a hung collective reports it. */
    public static boolean isTaskTimeout(int rc) {
        return rc == AclRt.ACL_ERROR_RT_FFTS_PLUS_TIMEOUT();
    }

    /**
     * {@code aclrtCreateContext} on {@code deviceId}; returns the context. On failure the device set by the caller is
     * reset before the exception is thrown, so a failed open leaves nothing behind.
     */
    public static MemorySegment createContext(int deviceId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            int rc = AclRt.aclrtCreateContext(out, deviceId);
            if (rc != 0) {
                RuntimeException e = Check.aclError("aclrtCreateContext", rc);
                AclRt.aclrtResetDevice(deviceId);
                throw e;
            }
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    public static int ACL_ERROR_BAD_ALLOC() {
        return AclRt.ACL_ERROR_BAD_ALLOC();
    }

    public static int ACL_ERROR_RT_DEVICE_OOM() {
        return AclRt.ACL_ERROR_RT_DEVICE_OOM();
    }

    public static int ACL_ERROR_RT_MEMORY_ALLOCATION() {
        return AclRt.ACL_ERROR_RT_MEMORY_ALLOCATION();
    }

    public static int ACL_ERROR_RT_STREAM_CONTEXT() {
        return AclRt.ACL_ERROR_RT_STREAM_CONTEXT();
    }

    public static int ACL_ERROR_API_NOT_SUPPORT() {
        return AclRt.ACL_ERROR_API_NOT_SUPPORT();
    }

    public static int ACL_EVENT_RECORDED_STATUS_COMPLETE() {
        return AclRt.ACL_EVENT_RECORDED_STATUS_COMPLETE();
    }

    public static int ACL_FORMAT_ND() {
        return AclRt.ACL_FORMAT_ND();
    }

    public static void aclFinalize() {
        Check.acl("aclFinalize", AclRt.aclFinalize());
    }

    public static void aclInit(MemorySegment configPath) {
        Check.acl("aclInit", AclRt.aclInit(configPath));
    }

    public static void aclrtDeviceEnablePeerAccess(int peerDeviceId, int flags) {
        Check.acl("aclrtDeviceEnablePeerAccess", AclRt.aclrtDeviceEnablePeerAccess(peerDeviceId, flags));
    }

    public static void aclrtFree(MemorySegment devPtr) {
        Check.acl("aclrtFree", AclRt.aclrtFree(devPtr));
    }

    public static void aclrtFreeHost(MemorySegment hostPtr) {
        Check.acl("aclrtFreeHost", AclRt.aclrtFreeHost(hostPtr));
    }

    /** {@code aclrtMallocHost}: {@code size} bytes of page-locked host memory, as a segment of that size. */
    public static MemorySegment aclrtMallocHost(long size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Check.acl("aclrtMallocHost", AclRt.aclrtMallocHost(out, size));
            return out.get(ValueLayout.ADDRESS, 0).reinterpret(size);
        }
    }

    public static void aclrtMemsetAsync(MemorySegment devPtr, long maxCount, int value, long count,
            MemorySegment stream) {
        Check.acl("aclrtMemsetAsync", AclRt.aclrtMemsetAsync(devPtr, maxCount, value, count, stream));
    }

    public static void aclrtRecordEvent(MemorySegment event, MemorySegment stream) {
        Check.acl("aclrtRecordEvent", AclRt.aclrtRecordEvent(event, stream));
    }

    public static void aclrtSetCurrentContext(MemorySegment context) {
        Check.acl("aclrtSetCurrentContext", AclRt.aclrtSetCurrentContext(context));
    }

    public static void aclrtSetDevice(int deviceId) {
        Check.acl("aclrtSetDevice", AclRt.aclrtSetDevice(deviceId));
    }

    public static void aclrtStreamWaitEvent(MemorySegment stream, MemorySegment event) {
        Check.acl("aclrtStreamWaitEvent", AclRt.aclrtStreamWaitEvent(stream, event));
    }

    /** The downcalls themselves, returning the code (or pointer) unchecked. */
    public static final class Raw {
        private Raw() {
        }

        public static int aclrtCreateContext(MemorySegment context, int deviceId) {
            return AclRt.aclrtCreateContext(context, deviceId);
        }

        public static int aclrtDestroyContext(MemorySegment context) {
            return AclRt.aclrtDestroyContext(context);
        }

        public static int aclrtDestroyEvent(MemorySegment event) {
            return AclRt.aclrtDestroyEvent(event);
        }

        public static int aclrtDestroyStream(MemorySegment stream) {
            return AclRt.aclrtDestroyStream(stream);
        }

        public static MemorySegment aclrtGetSocName() {
            return AclRt.aclrtGetSocName();
        }

        /** {@code aclrtMalloc} of {@code size} device bytes; the code is returned, not thrown. */
        public static Malloc malloc(long size, MallocPolicy policy) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                int rc = AclRt.aclrtMalloc(out, size, policy.value());
                return new Malloc(rc, rc == 0 ? out.get(ValueLayout.ADDRESS, 0) : MemorySegment.NULL);
            }
        }

        public static int aclrtMemcpyAsync(MemorySegment dst, long destMax, MemorySegment src, long count, int kind,
                MemorySegment stream) {
            return AclRt.aclrtMemcpyAsync(dst, destMax, src, count, kind, stream);
        }

        public static int aclrtMemset(MemorySegment devPtr, long maxCount, int value, long count) {
            return AclRt.aclrtMemset(devPtr, maxCount, value, count);
        }

        public static int aclrtQueryEventStatus(MemorySegment event, MemorySegment status) {
            return AclRt.aclrtQueryEventStatus(event, status);
        }

        public static int aclrtProcessReport(int timeout) {
            return AclRt.aclrtProcessReport(timeout);
        }

        public static int aclrtResetDevice(int deviceId) {
            return AclRt.aclrtResetDevice(deviceId);
        }

        public static int aclrtSubscribeReport(long threadId, MemorySegment stream) {
            return AclRt.aclrtSubscribeReport(threadId, stream);
        }

        public static int aclrtSynchronizeEvent(MemorySegment event) {
            return AclRt.aclrtSynchronizeEvent(event);
        }

        public static int aclrtSynchronizeStream(MemorySegment stream) {
            return AclRt.aclrtSynchronizeStream(stream);
        }

        public static int aclrtSynchronizeStreamWithTimeout(MemorySegment stream, int timeout) {
            return AclRt.aclrtSynchronizeStreamWithTimeout(stream, timeout);
        }

        public static int aclrtUnSubscribeReport(long threadId, MemorySegment stream) {
            return AclRt.aclrtUnSubscribeReport(threadId, stream);
        }

    }

}
