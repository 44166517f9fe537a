package dev.tandem.ascend;

import dev.tandem.ascend.internal.Acl;
import dev.tandem.ascend.internal.NativeThreads;

import java.util.concurrent.CountDownLatch;

/**
 * The platform thread that delivers one stream's host callbacks: it loops on {@code aclrtProcessReport}.
 * One per stream, so that a blocking callback on one stream never holds up another stream's callbacks.
 * Owned and stopped by the stream.
 */
final class ReportThread {
    private static final int POLL_MS = 50;

    private final AscendDevice device;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile long pthreadId;

    ReportThread(AscendDevice device, String streamName) {
        this.device = device;
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

    Thread thread() {
        return thread;
    }

    long pthreadId() {
        return pthreadId;
    }

    private void loop() {
        try {
            device.bind();
            pthreadId = NativeThreads.pthreadSelf();
        } finally {
            started.countDown();
        }
        while (!stopping) {
            int rc = Acl.Raw.aclrtProcessReport(POLL_MS);
            if (rc != 0 && rc != Acl.ACL_ERROR_WAIT_CALLBACK_TIMEOUT()) {
                // No stream subscribed yet (or between streams): nothing to deliver.
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    void stop() {
        stopping = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
