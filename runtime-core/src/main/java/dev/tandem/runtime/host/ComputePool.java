package dev.tandem.runtime.host;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.ArrayList;
import java.util.List;

/**
 * Platform threads one device's kernels may split work over. The calling stream thread always takes part, so a
 * pool of N threads owns N-1 helpers. Tasks are claimed dynamically, but each task writes its own outputs, so
 * results do not depend on which thread ran what.
 */
final class ComputePool implements AutoCloseable {
    private final int threads;
    private final ExecutorService helpers;

    ComputePool(String name, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("compute threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        if (threads == 1) {
            this.helpers = null;
        } else {
            AtomicInteger n = new AtomicInteger();
            this.helpers = Executors.newFixedThreadPool(threads - 1,
                    r -> Thread.ofPlatform().name(name + "-" + n.incrementAndGet()).daemon(true).unstarted(r));
        }
    }

    int threads() {
        return threads;
    }

    void parallelFor(int count, IntConsumer task) {
        if (count <= 0) {
            return;
        }
        if (helpers == null || count == 1) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                task.accept(i);
            }
        };
        int extra = Math.min(threads - 1, count - 1);
        List<Future<?>> futures = new ArrayList<>(extra);
        for (int i = 0; i < extra; i++) {
            futures.add(helpers.submit(worker));
        }
        RuntimeException failure = null;
        try {
            worker.run();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for kernel helpers", e);
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException re ? re : new RuntimeException(e.getCause());
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
    }
}
