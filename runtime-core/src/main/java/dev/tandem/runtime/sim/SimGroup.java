package dev.tandem.runtime.sim;

import dev.tandem.runtime.CollectiveException;
import dev.tandem.runtime.CollectiveTimeoutException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The ranks of one communicator group and their collective rounds: each rank's n-th collective meets the
 * others' n-th. A round completes when every simulated rank's operation has reached the head of its stream; each
 * rank then finishes at the latest arrival plus its own transfer cost (as the host backend's emulated link does).
 * Guarded by the runtime lock.
 *
 * <p>A group may simulate fewer ranks than it has ({@link SimRuntime#createCommunicators(java.util.List,
 * dev.tandem.runtime.CommunicatorOptions, int)}): rounds then hold the {@link #simulated()} ranks' payloads only,
 * and a virtual rank {@code v} is the mirror of simulated rank {@code v % simulated()}.
 */
final class SimGroup {
    private final SimRuntime runtime;
    private final int id;
    private final int size;
    private final int simulated;
    private final Duration timeout;
    private final Map<Long, Round> rounds = new HashMap<>();

    SimGroup(SimRuntime runtime, int id, int size, int simulated, Duration timeout) {
        this.runtime = runtime;
        this.id = id;
        this.size = size;
        this.simulated = simulated;
        this.timeout = timeout;
    }

    /** Ranks of the group, simulated or virtual: what its communicators report and collectives are costed at. */
    int size() {
        return size;
    }

    /** Ranks with a device and a communicator (0 .. simulated - 1); a round completes when they all arrived. */
    int simulated() {
        return simulated;
    }

    /** Round {@code sequence}, created by the first rank that enqueues it. */
    Round round(long sequence, String signature, int rank, Object payload, Consumer<Object[]> exchange) {
        Round r = rounds.computeIfAbsent(sequence, s -> new Round(s, signature, rank, exchange));
        if (!r.signature.equals(signature) && r.error == null) {
            // worded as the host backend words it
            r.error = new CollectiveException("mismatched collective calls at collective #" + sequence + " of group "
                    + id + ": rank " + r.firstRank + " issued " + r.signature + " but rank " + rank + " issued "
                    + signature);
        }
        r.payloads[rank] = payload;
        return r;
    }

    /** Fails rounds whose first rank arrived longer ago (real time) than the group's timeout. */
    void checkTimeouts(long nowNanos) {
        for (Round r : rounds.values()) {
            if (r.count > 0 && r.error == null && r.count < simulated && nowNanos - r.firstArrivalReal > timeout.toNanos()) {
                List<Integer> missing = new ArrayList<>();
                for (int i = 0; i < simulated; i++) {
                    if (!r.arrived[i]) {
                        missing.add(i);
                    }
                }
                r.error = new CollectiveTimeoutException("collective #" + r.sequence + " (" + r.signature + ") of group "
                        + id + ": rank(s) " + missing + " did not arrive within " + timeout);
            }
        }
    }

    /** One collective across the group. */
    final class Round {
        private final long sequence;
        private final String signature;
        private final Consumer<Object[]> exchange;
        private final int firstRank;
        private final Object[] payloads = new Object[simulated];
        private final boolean[] arrived = new boolean[simulated];
        private final double[] costs = new double[simulated];
        private int count;
        private long latest;
        private long firstArrivalReal;
        private RuntimeException error;

        Round(long sequence, String signature, int firstRank, Consumer<Object[]> exchange) {
            this.sequence = sequence;
            this.signature = signature;
            this.firstRank = firstRank;
            this.exchange = exchange;
        }

        void arrive(int rank, long time, double cost) {
            if (count == 0) {
                firstArrivalReal = System.nanoTime();
            }
            arrived[rank] = true;
            costs[rank] = cost;
            latest = Math.max(latest, time);
            count++;
            if (count == simulated) {
                rounds.remove(sequence);
                if (error == null && exchange != null) {
                    try {
                        exchange.accept(payloads);
                    } catch (RuntimeException e) {
                        error = e;
                    }
                }
            }
        }

        boolean isComplete() {
            return count == simulated || (error != null && count > 0);
        }

        RuntimeException error() {
            return error;
        }

        long end(int rank) {
            return latest + Math.round(costs[rank]);
        }
    }
}
