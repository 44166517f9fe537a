package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.NativeThreads;
import dev.tandem.ascend.internal.ReportPoll;

import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * The platform thread that delivers one stream's host callbacks: it loops on {@code aclrtProcessReport}.
 * One per stream, so that a blocking callback on one stream never holds up another stream's callbacks.
 * Owned and stopped by the stream.
 *
 * <p>{@code aclrtProcessReport} returns 507012 when nothing arrived within the poll time and 107012 while the
 * thread subscribes no stream (older releases: 100036 and 100035); both are idle. Any other code is retried a
 * bounded number of times with backoff; then the thread gives up and reports the failure to its stream, whose
 * callbacks can no longer run, so that {@code synchronize()} fails instead of waiting forever.
 */
final class ReportThread {
    private static final int POLL_MS = 50;
    /** Consecutive failures of aclrtProcessReport before delivery is declared dead (about a second of backoff). */
    static final int MAX_FAILURES = 12;
    private static final ThreadLocal<ReportThread> CURRENT = new ThreadLocal<>();

    private final AscendDevice device;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private final Consumer<AclException> onDead;
    private volatile boolean stopping;
    private volatile long pthreadId;
    private volatile AclException deadCause;

    ReportThread(AscendDevice device, String streamName, Consumer<AclException> onDead) {
        this.device = device;
        this.onDead = onDead;
        this.thread = Thread.ofPlatform().daemon().name("tandem-ascend-callbacks-" + device.id() + "-" + streamName)
                .unstarted(this::loop);
        thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the report thread", e);
        }
    }

    /** True on a thread that delivers host callbacks, where CANN forbids launching, freeing and synchronizing. */
    static boolean isCurrent() {
        return CURRENT.get() != null;
    }

    Thread thread() {
        return thread;
    }

    long pthreadId() {
        return pthreadId;
    }

    /** Why callback delivery stopped for good, or null while it works. */
    AclException deadCause() {
        return deadCause;
    }

    private void loop() {
        try {
            device.bind();
            pthreadId = NativeThreads.pthreadSelf();
            CURRENT.set(this);
        } finally {
            started.countDown();
        }
        int failures = 0;
        while (!stopping) {
            ReportPoll poll;
            try {
                poll = Acl.processReport(POLL_MS);
            } catch (AclException failure) {
                if (++failures >= MAX_FAILURES) {
                    deadCause = failure;
                    onDead.accept(failure);
                    return;
                }
                if (!pause(Math.min(200, 1L << failures))) {
                    return;
                }
                continue;
            }
            failures = 0;
            if (poll == ReportPoll.NOT_SUBSCRIBED) {
                // Not subscribed yet, or between subscriptions: nothing to deliver.
                if (!pause(2)) {
                    return;
                }
            }
        }
    }

    private static boolean pause(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    void stop() {
        stopping = true;
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
