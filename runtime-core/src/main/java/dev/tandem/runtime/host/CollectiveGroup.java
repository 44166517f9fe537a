package dev.tandem.runtime.host;

import dev.tandem.runtime.CollectiveAbortedException;
import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.CollectiveTimeoutException;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.CommunicatorOptions;
import dev.tandem.runtime.LinkEmulation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The shared state of in-process ranks: a rendezvous per collective. Each participant arrives with a payload,
 * waits for the others (up to the timeout), reads what it needs from their payloads, and leaves through a
 * second barrier once everyone has read, so that no rank overwrites memory a peer is still reading.
 * A timeout aborts the whole group, and so does any rank's failure ({@link #abort}: a failed stream that carries
 * the group's collectives, a closed communicator, a failed exchange): every pending and later collective of the
 * group then fails at once with {@link CollectiveAbortedException}, whose cause is the failure that aborted it.
 */
final class CollectiveGroup {
    private final int size;
    private final CommunicatorOptions options;
    private final List<Communicator> communicators;
    private final Object lock = new Object();
    private final Map<String, Round> rounds = new HashMap<>();
    private String abortReason;
    private volatile Throwable abortCause;
    private volatile boolean aborted;
    /** Threads sleeping in an emulated transfer, woken by an abort. */
    private final Set<Thread> transferring = ConcurrentHashMap.newKeySet();

    /** One collective (or one point-to-point transfer) in flight. */
    static final class Round {
        final String key;
        final int[] ranks;
        final String[] signatures;
        final Object[] payloads;
        int arrived;
        int read;
        int left;
        long allArrivedNanos;
        private Object shared;

        /** Scratch shared by the participants of this round (created by the first to ask). */
        synchronized Object shared(java.util.function.Supplier<Object> create) {
            if (shared == null) {
                shared = create.get();
            }
            return shared;
        }

        Round(String key, int[] ranks) {
            this.key = key;
            this.ranks = ranks;
            this.signatures = new String[ranks.length];
            this.payloads = new Object[ranks.length];
        }

        /** The payload of {@code rank}, which must be a participant. */
        Object payloadOf(int rank) {
            for (int i = 0; i < ranks.length; i++) {
                if (ranks[i] == rank) {
                    return payloads[i];
                }
            }
            throw new IllegalStateException("rank " + rank + " is not part of " + key);
        }
    }

    CollectiveGroup(List<HostDevice> devices, CommunicatorOptions options) {
        this.size = devices.size();
        this.options = options;
        List<Communicator> list = new ArrayList<>(size);
        for (int r = 0; r < size; r++) {
            HostCommunicator c = new HostCommunicator(this, devices.get(r), r);
            devices.get(r).adopt(c);
            list.add(c);
        }
        this.communicators = List.copyOf(list);
    }

    List<Communicator> communicators() {
        return communicators;
    }

    int size() {
        return size;
    }

    LinkEmulation link() {
        return options.link();
    }

    /**
     * Arrives at round {@code key} as participant {@code rank}, and waits for every rank in {@code ranks}.
     * Signatures (operation, dtype, sizes) must agree, otherwise every participant fails.
     */
    Round arrive(String key, int[] ranks, int rank, String signature, Object payload, String description) {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        synchronized (lock) {
            checkNotAborted(description);
            Round round = rounds.computeIfAbsent(key, k -> new Round(k, ranks));
            int slot = indexOf(round.ranks, rank);
            round.signatures[slot] = signature;
            round.payloads[slot] = payload;
            round.arrived++;
            if (round.arrived == round.ranks.length) {
                round.allArrivedNanos = System.nanoTime();
                lock.notifyAll();
            }
            while (round.arrived < round.ranks.length) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    List<Integer> missing = new ArrayList<>();
                    for (int i = 0; i < round.ranks.length; i++) {
                        if (round.signatures[i] == null) {
                            missing.add(round.ranks[i]);
                        }
                    }
                    var timeout = new CollectiveTimeoutException(description + " timed out on rank " + rank
                            + ": rank(s) " + missing + " did not arrive within " + options.timeout());
                    abort(timeout.getMessage(), timeout);
                    throw timeout;
                }
                waitNanos(left);
                checkNotAborted(description);
            }
            for (int i = 1; i < round.signatures.length; i++) {
                if (!round.signatures[i].equals(round.signatures[0])) {
                    throw new CollectiveException("mismatched collective calls at " + description + ": rank "
                            + round.ranks[0] + " issued " + round.signatures[0] + " but rank " + round.ranks[i]
                            + " issued " + round.signatures[i]);
                }
            }
            return round;
        }
    }

    /** Marks this participant's reads done and waits until every participant has read. */
    void finishReading(Round round, String description) {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        synchronized (lock) {
            round.read++;
            if (round.read == round.ranks.length) {
                lock.notifyAll();
            }
            while (round.read < round.ranks.length) {
                // A peer may have aborted (e.g. its read failed) before this rank got here: its notify is gone.
                checkNotAborted(description);
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    var timeout = new CollectiveTimeoutException(description + ": a peer did not finish reading within "
                            + options.timeout());
                    abort(timeout.getMessage(), timeout);
                    throw timeout;
                }
                waitNanos(left);
            }
            round.left++;
            if (round.left == round.ranks.length) {
                rounds.remove(round.key);
            }
        }
    }

    /**
     * Sleeps (without burning CPU) until the emulated link would have moved {@code bytes} since all arrived. The
     * sleep never exceeds the communicator timeout, and an abort of the group ends it at once (with the abort).
     */
    void emulateTransfer(Round round, long bytes, String description) {
        LinkEmulation link = options.link();
        if (link == null || round.ranks.length < 2) {
            return;
        }
        long until = round.allArrivedNanos + Math.min(link.transferNanos(bytes), options.timeout().toNanos());
        Thread me = Thread.currentThread();
        transferring.add(me);
        try {
            for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
                if (aborted) {
                    synchronized (lock) {
                        checkNotAborted(description);
                    }
                }
                if (Thread.currentThread().isInterrupted()) {   // e.g. the stream is being closed
                    throw new CollectiveException(description + ": interrupted during the emulated transfer");
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            transferring.remove(me);
        }
    }

    /**
     * Aborts the group: every rank waiting at a rendezvous or in an emulated transfer, and every later collective,
     * fails at once with a {@link CollectiveAbortedException} caused by {@code cause}. The first abort wins;
     * later ones (often symptoms of the first) are ignored.
     */
    void abort(String reason, Throwable cause) {
        synchronized (lock) {
            if (abortReason == null) {
                abortReason = reason;
                abortCause = cause;
                aborted = true;
            }
            lock.notifyAll();
        }
        for (Thread t : transferring) {
            LockSupport.unpark(t);
        }
    }

    boolean isAborted() {
        return aborted;
    }

    private void checkNotAborted(String description) {
        if (abortReason != null) {
            throw new CollectiveAbortedException(description + " failed: the communicator group was aborted ("
                    + abortReason + ")", abortCause);
        }
    }

    private void waitNanos(long nanos) {
        try {
            lock.wait(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException("interrupted while waiting at a collective rendezvous", e);
        }
    }

    private static int indexOf(int[] ranks, int rank) {
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] == rank) {
                return i;
            }
        }
        throw new IllegalStateException("rank " + rank + " is not a participant");
    }
}
