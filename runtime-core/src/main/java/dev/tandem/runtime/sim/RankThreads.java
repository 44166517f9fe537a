package dev.tandem.runtime.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntConsumer;

/**
 * Runs one task per rank at the same time, each on a platform thread of its own: a measurement of ranks "busy at
 * once" must not go through a shared pool (the common fork-join pool has a single worker on a 2-core machine, so the
 * ranks' tasks would run one after another and every rate would come out halved).
 */
final class RankThreads {
    private RankThreads() {
    }

    /**
     * Starts a thread per rank, releases them together and waits for all.
     *
     * @param ranks how many tasks
     * @param name  thread name prefix
     * @param task  the work of rank r
     * @return nanoseconds from the release until the last task finished
     * @throws RuntimeException the first task's failure, if any
     */
    static long together(int ranks, String name, IntConsumer task) {
        CountDownLatch ready = new CountDownLatch(ranks);
        CountDownLatch go = new CountDownLatch(1);
        RuntimeException[] failure = new RuntimeException[ranks];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            threads.add(Thread.ofPlatform().name(name + "-" + rank).start(() -> {
                ready.countDown();
                try {
                    go.await();
                    task.accept(rank);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure[rank] = new IllegalStateException("interrupted", e);
                } catch (RuntimeException e) {
                    failure[rank] = e;
                }
            }));
        }
        long start;
        try {
            ready.await();
            start = System.nanoTime();
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            go.countDown();
            throw new IllegalStateException("interrupted while measuring", e);
        }
        long took = System.nanoTime() - start;
        for (RuntimeException e : failure) {
            if (e != null) {
                throw e;
            }
        }
        return took;
    }
}
