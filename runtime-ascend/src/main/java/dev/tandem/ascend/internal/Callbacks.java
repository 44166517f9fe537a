package dev.tandem.ascend.internal;

import dev.tandem.ascend.ffi.acl.AclRt;
import dev.tandem.ascend.ffi.acl.aclrtCallback;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Host callbacks: one upcall stub for the process; the {@code userData} pointer carries an id that selects
 * the Java action. Nothing ever escapes the upcall: a Throwable goes to the action's failure handler.
 */
public final class Callbacks {
    private record Pending(Runnable action, Consumer<Throwable> onFailure) {
    }

    private static final Map<Long, Pending> PENDING = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();
    private static volatile MemorySegment stub;

    private Callbacks() {
    }

    private static MemorySegment stub() {
        MemorySegment s = stub;
        if (s == null) {
            synchronized (Callbacks.class) {
                s = stub;
                if (s == null) {
                    s = aclrtCallback.allocate(Callbacks::deliver, Arena.global());
                    stub = s;
                }
            }
        }
        return s;
    }

    private static void deliver(MemorySegment userData) {
        try {
            Pending p = PENDING.remove(userData.address());
            if (p == null) {
                return;
            }
            try {
                p.action().run();
            } catch (Throwable t) {
                p.onFailure().accept(t);
            }
        } catch (Throwable ignored) {
            // An exception must never unwind into the native report thread.
        }
    }

    /** Enqueues {@code action} on {@code stream}; with {@code block} later work on the stream waits for it. */
    public static void launch(MemorySegment stream, boolean block, Runnable action, Consumer<Throwable> onFailure) {
        long id = IDS.incrementAndGet();
        PENDING.put(id, new Pending(action, onFailure));
        int rc = AclRt.aclrtLaunchCallback(stub(), MemorySegment.ofAddress(id),
                block ? AclRt.ACL_CALLBACK_BLOCK() : AclRt.ACL_CALLBACK_NO_BLOCK(), stream);
        if (rc != 0) {
            PENDING.remove(id);
            throw Check.aclError("aclrtLaunchCallback", rc);
        }
    }

    /** Callbacks launched but not delivered yet (diagnostics). */
    public static int pending() {
        return PENDING.size();
    }
}
